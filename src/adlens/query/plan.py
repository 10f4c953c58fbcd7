"""``QueryPlan``: the one normalised form both request shapes compile to.

A plan is plain, immutable data: resolved measures (with their aggregate ASTs), dimensions,
the time bucket, a half-open time range in the query's zone, filters split into row filters
(``where``, over dimensions) and group filters (``having``, over measures), order and
paging, and the dashboard built-ins (compare, share). ``fingerprint()`` is a stable text
of everything that decides the answer, for cache keys.

Result keys: a measure by its name (spec shape: the metric ``name`` as sent), a dimension by
its name, the time bucket as ``ts.<granularity>`` (``ts.day``, ``ts.5m``, ``ts.hour``...);
compare adds ``<key>_previous`` and ``<key>_change``, share adds ``<key>_share``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, get_args

from sqlglot import exp

from adlens.query.semantic import TIME_DIMENSION, Dimension, Measure, Table
from adlens.query.timerange import Compare, Granularity, Shift, TimeRange

Operator = Literal[
    "equals",
    "notEquals",
    "contains",
    "notContains",
    "startsWith",
    "endsWith",
    "gt",
    "gte",
    "lt",
    "lte",
    "set",
    "notSet",
]
DIMENSION_OPERATORS: tuple[Operator, ...] = get_args(Operator)
MEASURE_OPERATORS: tuple[Operator, ...] = (
    "equals",
    "notEquals",
    "gt",
    "gte",
    "lt",
    "lte",
    "set",
    "notSet",
)


@dataclass(frozen=True)
class PlannedMeasure:
    """A measure in the result, under ``key``; ``platforms`` limits the rows it sums."""

    key: str
    measure: Measure
    platforms: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PlannedDimension:
    """A dimension in the result, under ``key``, read from ``column`` of the plan's table."""

    key: str
    dimension: Dimension
    column: str


@dataclass(frozen=True)
class Condition:
    """One filter: a dimension column or a measure, an operator, its values."""

    operator: Operator
    values: tuple[str | float, ...]
    column: str | None = None  # a dimension filter (WHERE)
    measure: Measure | None = None  # a measure filter (HAVING)
    platforms: tuple[str, ...] | None = None  # of the measure, in the spec shape


@dataclass(frozen=True)
class Group:
    """``and`` / ``or`` of filters."""

    op: Literal["and", "or"]
    items: tuple[Filter, ...]


Filter = Condition | Group


@dataclass(frozen=True)
class QueryPlan:
    """A query, normalised; compiled to SQL by ``compile.compile_plan``."""

    table: Table
    measures: tuple[PlannedMeasure, ...]
    dimensions: tuple[PlannedDimension, ...]
    granularity: Granularity | None
    timezone: str
    time_range: TimeRange | None
    where: Filter | None
    having: Filter | None
    order: tuple[tuple[str, bool], ...]  # (result key, descending)
    limit: int
    offset: int = 0
    compare: Compare | None = None
    compare_range: TimeRange | None = None
    shift: Shift | None = None
    share: tuple[str, ...] = ()
    shape: Literal["spec", "cube"] = "cube"
    first_weekday: int = 0  # the day weeks start on (0 = Monday ... 6 = Sunday)

    @property
    def time_key(self) -> str | None:
        """``ts.<granularity>`` when the query buckets by time."""
        if self.granularity is None:
            return None
        return f"{TIME_DIMENSION}.{self.granularity.name}"

    def group_keys(self) -> list[str]:
        """Keys the rows are grouped by: the time bucket first, then the dimensions."""
        keys = [self.time_key] if self.time_key else []
        return keys + [d.key for d in self.dimensions]

    def result_keys(self) -> list[str]:
        """Every key of a result row, in order."""
        keys = self.group_keys()
        for m in self.measures:
            keys.append(m.key)
            if self.compare:
                keys += [f"{m.key}_previous", f"{m.key}_change"]
        return keys + [f"{key}_share" for key in self.share]

    def fingerprint(self) -> str:
        """A stable text of everything that decides the answer (for cache keys).

        Computed once per plan (plans are immutable; ``dataclasses.replace`` makes a new one).
        """
        known: str | None = self.__dict__.get("_fingerprint")
        if known is None:
            known = self.__dict__["_fingerprint"] = self._fingerprint()
        return known

    def _fingerprint(self) -> str:
        return json.dumps(
            {
                "table": self.table,
                "measures": [
                    [m.key, expression_text(m.measure.expression), m.platforms]
                    for m in self.measures
                ],
                "dimensions": [[d.key, d.column] for d in self.dimensions],
                "granularity": self.granularity.name if self.granularity else None,
                "first_weekday": self.first_weekday,
                "timezone": self.timezone,
                "time_range": self.time_range.to_json() if self.time_range else None,
                "where": _filter_json(self.where),
                "having": _filter_json(self.having),
                "order": self.order,
                "limit": self.limit,
                "offset": self.offset,
                "compare": self.compare,
                "share": self.share,
            },
            sort_keys=True,
            default=str,
        )


_TEXTS: dict[int, tuple[exp.Expr, str]] = {}


def expression_text(expression: exp.Expr) -> str:
    """The DuckDB SQL of a measure's expression, generated once per expression object.

    Measures are immutable once registered, and every query names some, so their text
    (part of every cache key) is kept rather than generated per query. The entry holds
    the expression itself, so its ``id`` cannot be reused while the entry lives.

    >>> from adlens.query.semantic import BUILTIN_MEASURES
    >>> expression_text(BUILTIN_MEASURES["spend"].expression)
    'SUM(spend)'
    """
    known = _TEXTS.get(id(expression))
    if known is not None and known[0] is expression:
        return known[1]
    if len(_TEXTS) >= 4096:
        _TEXTS.clear()
    text = expression.sql("duckdb")
    _TEXTS[id(expression)] = (expression, text)
    return text


def _filter_json(node: Filter | None) -> object:
    if node is None:
        return None
    if isinstance(node, Group):
        return [node.op, [_filter_json(item) for item in node.items]]
    target = node.column or (expression_text(node.measure.expression) if node.measure else None)
    return [node.operator, target, node.values, node.platforms]
