"""The semantic layer: which measures and dimensions a query may name, and what they mean.

Measures are aggregate expressions (sqlglot ASTs) over one fact table. Only sums are
stored; ratios are divided at query time from the sums of the rows a query selects, and
every ratio is NULL when its denominator is 0 (``NULLIF``), never NaN or Infinity.

Built-in measures over ``ad_performance``:

================ ================================ ========
name             expression                       format
================ ================================ ========
spend            SUM(spend)                       currency
impressions      SUM(impressions)                 integer
clicks           SUM(clicks)                      integer
conversions      SUM(conversions)                 number
conversion_value SUM(conversion_value)            currency
ctr              clicks / impressions             percent
cpc              spend / clicks                   currency
cpm              1000 * spend / impressions       currency
cpa              spend / conversions              currency
cvr              conversions / clicks             percent
roas             conversion_value / spend         number
aov              conversion_value / conversions   currency
================ ================================ ========

Built-in measures over ``sessions`` (GA4 / web analytics): ``sessions``,
``engaged_sessions``, ``sessions_conversions`` (GA4 key events, the ``conversions`` column
of ``sessions``, named apart from the ads' ``conversions``) and ``revenue``.

Built-in measures over ``events`` (``adlens.events``): ``events`` (how many) and
``event_value`` (the sum of their values), by the dimension ``event`` and platform,
account_id, campaign_id, campaign_name, channel.

Dimensions are plain column names: platform, account_id, account_name, campaign_id,
campaign_name, ad_group_id, ad_group_name, ad_id, ad_name, keyword, match_type,
search_term, channel, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
currency, workspace. On ``sessions`` the UTM dimensions read the session's ``source``,
``medium`` and ``campaign``; dimensions only ads have (campaign_name, ...) cannot break
down session measures. ``ts`` is the time dimension (see ``compile``).

Members may be written with the Cube prefix (``ad_performance.spend``); the prefix must be
the table the member belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from adlens.query.errors import MetricDefinitionError, QueryError, did_you_mean

Table = Literal["ad_performance", "sessions", "events"]
TABLES: tuple[Table, ...] = ("ad_performance", "sessions", "events")
MeasureKind = Literal["sum", "ratio", "custom"]
FORMATS = ("number", "integer", "currency", "percent")
TIME_DIMENSION = "ts"


@dataclass(frozen=True)
class Measure:
    """A named aggregate over one fact table."""

    name: str
    table: Table
    expression: exp.Expr
    kind: MeasureKind
    format: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Dimension:
    """A named column to group or filter by, with its column in each table that has it."""

    name: str
    columns: Mapping[str, str]
    description: str = ""


def column(name: str) -> exp.Column:
    """A column reference (an identifier, never parsed from text)."""
    return exp.Column(this=exp.to_identifier(name))


def total(name: str) -> exp.Expr:
    """``SUM(name)``."""
    return exp.Sum(this=column(name))


def ratio(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """``CAST(numerator AS DOUBLE) / NULLIF(denominator, 0)``: NULL, never Infinity, on 0."""
    return exp.Div(
        this=exp.Cast(this=numerator, to=exp.DataType(this=exp.DataType.Type.DOUBLE)),
        expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
    )


def _sum(table: Table, name: str, fmt: str, description: str, source: str = "") -> Measure:
    return Measure(name, table, total(source or name), "sum", fmt, description)


def _ratio(name: str, num: str, den: str, fmt: str, description: str, scale: int = 1) -> Measure:
    numerator = total(num)
    if scale != 1:
        numerator = exp.Mul(this=exp.Literal.number(scale), expression=numerator)
    return Measure(name, "ad_performance", ratio(numerator, total(den)), "ratio", fmt, description)


BUILTIN_MEASURES: Mapping[str, Measure] = {
    m.name: m
    for m in (
        _sum("ad_performance", "spend", "currency", "cost in the reporting currency"),
        _sum("ad_performance", "impressions", "integer", "impressions"),
        _sum("ad_performance", "clicks", "integer", "clicks"),
        _sum("ad_performance", "conversions", "number", "conversions (fractions kept)"),
        _sum("ad_performance", "conversion_value", "currency", "conversion value"),
        _ratio("ctr", "clicks", "impressions", "percent", "click-through rate"),
        _ratio("cpc", "spend", "clicks", "currency", "cost per click"),
        _ratio("cpm", "spend", "impressions", "currency", "cost per 1000 impressions", 1000),
        _ratio("cpa", "spend", "conversions", "currency", "cost per conversion"),
        _ratio("cvr", "conversions", "clicks", "percent", "conversions per click"),
        _ratio("roas", "conversion_value", "spend", "number", "return on ad spend"),
        _ratio("aov", "conversion_value", "conversions", "currency", "value per conversion"),
        _sum("sessions", "sessions", "integer", "GA4 sessions"),
        _sum("sessions", "engaged_sessions", "integer", "GA4 engaged sessions"),
        _sum(
            "sessions",
            "sessions_conversions",
            "number",
            "GA4 key events (conversions) of sessions",
            source="conversions",
        ),
        _sum("sessions", "revenue", "currency", "GA4 revenue"),
        Measure("events", "events", exp.Count(this=exp.Star()), "sum", "integer", "events"),
        _sum("events", "event_value", "number", "sum of the events' values", source="value"),
    )
}

_ADS: dict[str, str] = {"ad_performance": ""}
_BOTH: dict[str, str] = {"ad_performance": "", "sessions": ""}
_ALL: dict[str, str] = {"ad_performance": "", "sessions": "", "events": ""}
_ADS_EVENTS: dict[str, str] = {"ad_performance": "", "events": ""}


def _dimension(name: str, tables: Mapping[str, str], description: str) -> Dimension:
    return Dimension(name, {t: c or name for t, c in tables.items()}, description)


DIMENSIONS: Mapping[str, Dimension] = {
    d.name: d
    for d in (
        _dimension("platform", _ALL, "meta, google_ads, tiktok, linkedin, microsoft, ga4, ..."),
        _dimension("account_id", _ADS_EVENTS, "ad account id"),
        _dimension("account_name", _ADS, "ad account name"),
        _dimension("campaign_id", _ADS_EVENTS, "campaign id"),
        _dimension("campaign_name", _ADS_EVENTS, "campaign name"),
        _dimension("ad_group_id", _ADS, "ad group / ad set id"),
        _dimension("ad_group_name", _ADS, "ad group / ad set name"),
        _dimension("ad_id", _ADS, "ad id"),
        _dimension("ad_name", _ADS, "ad name"),
        _dimension("keyword", _ADS, "keyword (keyword reports)"),
        _dimension("match_type", _ADS, "keyword match type"),
        _dimension("search_term", _ADS, "search term"),
        _dimension("channel", _ALL, "GA4 default channel group"),
        _dimension("event", {"events": ""}, "what an event was: impression, click, ..."),
        _dimension("utm_source", {"ad_performance": "", "sessions": "source"}, "utm_source"),
        _dimension("utm_medium", {"ad_performance": "", "sessions": "medium"}, "utm_medium"),
        _dimension("utm_campaign", {"ad_performance": "", "sessions": "campaign"}, "utm_campaign"),
        _dimension("utm_content", _ADS, "utm_content"),
        _dimension("utm_term", _ADS, "utm_term"),
        _dimension("currency", _ADS, "ISO currency code as exported"),
        _dimension("workspace", _ALL, "workspace (a query only ever sees its own)"),
    )
}

# Columns of each fact table a custom metric may aggregate (numbers) or test (dimensions).
NUMERIC_COLUMNS: Mapping[str, frozenset[str]] = {
    "ad_performance": frozenset(
        {"spend", "impressions", "clicks", "conversions", "conversion_value", "spend_original"}
    ),
    "sessions": frozenset({"sessions", "engaged_sessions", "users", "conversions", "revenue"}),
    "events": frozenset({"value"}),
}


def dimension_columns(table: str) -> dict[str, str]:
    """Dimension name -> column, for the dimensions ``table`` has."""
    return {d.name: d.columns[table] for d in DIMENSIONS.values() if table in d.columns}


def strip_prefix(name: str) -> str:
    """``ad_performance.spend`` -> ``spend``; a name without a known table prefix is unchanged.

    >>> strip_prefix("ad_performance.spend"), strip_prefix("ts.day"), strip_prefix("ctr")
    ('spend', 'ts.day', 'ctr')
    """
    table, dot, rest = name.partition(".")
    return rest if dot and table in TABLES else name


@dataclass
class Registry:
    """Built-in and custom measures plus the dimensions, for one query (or one command).

    Custom metrics are compiled on first use by ``compile_custom`` (``metrics.py``), so a
    query naming only built-ins never parses an expression.
    """

    custom: Mapping[str, CustomDefinition] = field(default_factory=dict)
    compile_custom: Callable[[CustomDefinition, Registry], Measure] | None = None
    _compiled: dict[str, Measure] = field(default_factory=dict)
    _compiling: set[str] = field(default_factory=set)

    def measure_names(self) -> list[str]:
        """Every measure name, built-in first."""
        return [*BUILTIN_MEASURES, *self.custom]

    def is_measure(self, name: str) -> bool:
        """Whether ``name`` (without prefix) is a measure; reads custom metrics only if needed."""
        return name in BUILTIN_MEASURES or name in self.custom

    def measure(self, name: str, *, where: str = "measures") -> Measure:
        """The measure called ``name`` (Cube prefix allowed); unknown -> QueryError."""
        plain = strip_prefix(name)
        if plain in BUILTIN_MEASURES:
            return _check_prefix(name, BUILTIN_MEASURES[plain])
        if plain in self.custom:
            return _check_prefix(name, self._custom(plain))
        hint = did_you_mean(plain, [*self.measure_names(), *DIMENSIONS])
        raise QueryError(f"unknown measure {name!r}.{hint}", where={"field": where})

    def dimension(self, name: str, *, where: str = "dimensions") -> Dimension:
        """The dimension called ``name`` (Cube prefix allowed); unknown -> QueryError."""
        plain = strip_prefix(name)
        if plain in DIMENSIONS:
            return DIMENSIONS[plain]
        hint = did_you_mean(plain, [*DIMENSIONS, TIME_DIMENSION, *self.measure_names()])
        if plain == TIME_DIMENSION:
            raise QueryError(
                "the time dimension 'ts' goes in timeDimensions (with a granularity), "
                "not in dimensions",
                where={"field": where},
            )
        raise QueryError(f"unknown dimension {name!r}.{hint}", where={"field": where})

    def _custom(self, name: str) -> Measure:
        if name in self._compiled:
            return self._compiled[name]
        if self.compile_custom is None:
            raise QueryError(f"custom metric {name!r} cannot be compiled here")
        if name in self._compiling:
            raise MetricDefinitionError(
                f"custom metric {name!r} refers to itself (through "
                f"{', '.join(sorted(self._compiling))})"
            )
        self._compiling.add(name)
        try:
            measure = self.compile_custom(self.custom[name], self)
        finally:
            self._compiling.discard(name)
        self._compiled[name] = measure
        return measure


@dataclass(frozen=True)
class CustomDefinition:
    """A custom metric as stored: the expression is text, checked when it is compiled."""

    name: str
    expression: str
    format: str | None = None
    description: str | None = None


def _check_prefix(name: str, measure: Measure) -> Measure:
    table, dot, _ = name.partition(".")
    if dot and table != measure.table:
        raise QueryError(f"{name!r}: measure {measure.name!r} belongs to {measure.table!r}")
    return measure
