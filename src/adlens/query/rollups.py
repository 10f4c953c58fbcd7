"""Pre-aggregated rollups of ``ad_performance`` and the rule for when one answers a query.

Two families of four tables (``adlens.store.migrations``): by campaign, named below, and by
platform (``rollup_ad_platform_day`` and so on: the same without campaign_id and
campaign_name, so a few rows per account and day; KPI tiles and series by platform or
channel read them).

- ``rollup_ad_day``: the day rows (``grain = 'day'``) grouped by workspace, platform,
  account_id, account_name, campaign_id, campaign_name, channel, currency and ``date``;
- ``rollup_ad_hour``: the hour rows (``grain = 'hour'``) grouped the same way and by
  ``ts`` (and ``date``, the account's day the row belongs to, which restatement keys on);
- ``rollup_ad_range``: the range rows (exports without a per-day breakdown) grouped the
  same way and by ``period_start`` and ``period_end``;
- ``rollup_ad_hour_day``: the hour rows summed per UTC day (``utc_date``) and ``date``.

Each row holds the sums of spend, spend_original, impressions, clicks, conversions and
conversion_value and ``row_count``, the number of fact rows summed (impressions and clicks
as BIGINT: one group's day never nears 9.2e18, and a sum that did would fail the load).

Keeping them current: ``refresh_rollups`` runs inside each load's transaction, after the
load's rows are final (restatement has deleted the older rows of the same account-days).
A load that replaced nothing appends the aggregates of its own rows (sums are additive, so
a group may have several rollup rows, which queries sum again; ``adlens compact`` merges
them). A load that replaced rows changed the sums of exactly the days of its rows
(restatement only deletes rows on those days): their rollup rows are deleted (in the whole
workspace, every platform: simple, and re-aggregating an unchanged platform-day writes the
same sums) and re-aggregated from the base table. Other days are never touched.
``rebuild_rollups`` recomputes everything (maintenance, tests, and after writes that bypass
loads, such as re-converting currencies).

When a rollup answers (``rollup_for``), exactly:

- the plan reads ``ad_performance`` and has no granularity, or one of an hour or coarser
  without a sub-hour step. ``rollup_ad_day`` answers totals and ``day`` and coarser: it
  reads the three rollups as one relation shaped like the base table (hour rows count in
  day buckets by their local date in the query's zone; range rows count in totals whose
  range covers their period, and in a series bucket that holds their whole period, by the
  same conditions as on the base table). In UTC over whole days (``rollup_ad_day_utc``)
  hour rows are read from ``rollup_ad_hour_day`` instead, since their local day is their
  UTC day. ``hour`` reads only ``rollup_ad_hour``, since day rows are never split;
- every dimension, dimension filter and restriction is a group column of the family (the
  platform family is tried first);
- every aggregate of every measure (and of every measure filter) is ``SUM`` of a summed
  column (possibly under a ``CASE`` whose conditions read only group columns, as custom
  metrics may write) or ``COUNT(*)`` (answered as ``COALESCE(SUM(row_count), 0)``);
  ``MIN``, ``MAX``, ``AVG``, ``COUNT(column)`` or sums of expressions are not answerable
  from sums and go to the base table.

Rows left out (range rows not covered or across buckets, day rows of an hourly series) are
counted from the same relation's ``row_count`` when a rollup answers, else on the base
table (``compile_exclusions``): the metadata is the same whatever answers.

Sums of floating-point columns are added in a different order from a rollup than from the
base table, so they may differ in the last bits (never for values exact in binary).

Switch: the planner reads rollups only while they are enabled. ``enable_rollups(True)``
turns them on for the process (off by default until every writer of ``ad_performance``
refreshes them: loads through ``refresh_rollups``; currency re-conversion and direct
inserts through ``rebuild_rollups``); ``use_rollups(enabled)`` overrides that in a block
(per thread / task: a context variable), and ``use_rollups(False)`` forces the base table,
which is how tests compare a rollup's answer with the base table's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from adlens.query.plan import Filter, Group, QueryPlan
from adlens.query.semantic import column

EVENTS_TABLE, MINUTE = "events", "rollup_events_minute"
EVENT_GROUPS: tuple[str, ...] = (
    "workspace",
    "platform",
    "account_id",
    "campaign_id",
    "campaign_name",
    "channel",
    "event",
)
EVENT_SUMS: tuple[str, ...] = ("value",)
MINUTE_PLATFORM = "rollup_events_minute_platform"
EVENT_PLATFORM_GROUPS: tuple[str, ...] = ("workspace", "platform", "channel", "event")
# Coarsest first: the planner takes the first that answers a query exactly.
EVENT_ROLLUPS: dict[str, tuple[str, ...]] = {
    MINUTE_PLATFORM: EVENT_PLATFORM_GROUPS,
    MINUTE: EVENT_GROUPS,
}
BASE_TABLE = "ad_performance"
GROUP_COLUMNS: tuple[str, ...] = (
    "workspace",
    "platform",
    "account_id",
    "account_name",
    "campaign_id",
    "campaign_name",
    "channel",
    "currency",
)
PLATFORM_GROUP_COLUMNS: tuple[str, ...] = tuple(
    c for c in GROUP_COLUMNS if c not in ("campaign_id", "campaign_name")
)
SUM_COLUMNS: tuple[str, ...] = (
    "spend",
    "spend_original",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
)
ROW_COUNT = "row_count"


@dataclass(frozen=True)
class Family:
    """The four ad rollups at one level of detail: tables ``{prefix}_day``, ``_hour``,
    ``_range`` and ``_hour_day``, grouped by ``groups``; ``{prefix}_day_utc`` is a label
    (the day rollup with hour rows read per UTC day)."""

    prefix: str
    groups: tuple[str, ...]

    @property
    def day(self) -> str:
        return f"{self.prefix}_day"

    @property
    def hour(self) -> str:
        return f"{self.prefix}_hour"

    @property
    def range(self) -> str:
        return f"{self.prefix}_range"

    @property
    def hour_day(self) -> str:
        return f"{self.prefix}_hour_day"

    @property
    def day_utc(self) -> str:
        return f"{self.prefix}_day_utc"

    @property
    def tables(self) -> tuple[str, str, str, str]:
        return (self.day, self.hour, self.range, self.hour_day)


CAMPAIGNS = Family("rollup_ad", GROUP_COLUMNS)
PLATFORMS = Family("rollup_ad_platform", PLATFORM_GROUP_COLUMNS)
# Coarsest first: the planner takes the first that answers a query exactly.
FAMILIES: tuple[Family, ...] = (PLATFORMS, CAMPAIGNS)
DAY, HOUR, RANGE, HOUR_DAY = CAMPAIGNS.tables
DAY_UTC = CAMPAIGNS.day_utc
ROLLUPS: tuple[str, ...] = tuple(t for f in (CAMPAIGNS, PLATFORMS) for t in f.tables)
_FAMILY = {name: f for f in FAMILIES for name in (*f.tables, f.day_utc)}
# Fact dimensions finer than the groups: an export with one of them has many rows per group.
_FINER = frozenset(
    {
        "ad_group_id",
        "ad_group_name",
        "ad_id",
        "ad_name",
        "keyword",
        "match_type",
        "search_term",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
    }
)
_KIND = {
    t: kind
    for f in FAMILIES
    for t, kind in zip(f.tables, ("day", "hour", "range", "hour_day"), strict=True)
}
_GRAIN = {"day": "day", "hour": "hour", "range": "range", "hour_day": "hour"}
_TIME_COLUMNS = {
    "day": ("date",),
    "hour": ("date", "ts"),
    "range": ("period_start", "period_end"),
    "hour_day": ("date", "utc_date"),
}
_EXPRESSIONS = {"utc_date": "CAST(ts AS DATE)"}

_process_default = {"enabled": True}
_override: ContextVar[bool | None] = ContextVar("adlens_rollups_enabled", default=None)


def enable_rollups(enabled: bool = True) -> None:
    """Let the planner read rollups in this whole process (or stop it, with ``False``)."""
    _process_default["enabled"] = enabled


@contextmanager
def use_rollups(enabled: bool = True) -> Iterator[None]:
    """Let the planner read rollups (or, with ``False``, force the base table) in a block.

    >>> from adlens.query.rollups import rollups_enabled
    >>> with use_rollups(False):
    ...     rollups_enabled()
    False
    >>> rollups_enabled()
    True
    """
    token = _override.set(enabled)
    try:
        yield
    finally:
        _override.reset(token)


def rollups_enabled() -> bool:
    """Whether the planner may read rollups here (``use_rollups``, else ``enable_rollups``)."""
    override = _override.get()
    return _process_default["enabled"] if override is None else override


# --- maintenance ----------------------------------------------------------------------------


def _aggregate(rollup: str, *, rows: bool = False) -> str:
    """``SELECT`` of a rollup's rows from the base table (its ``WHERE`` appended by callers).

    ``rows``: one rollup row per fact row (no ``GROUP BY`` follows), else aggregates.
    """
    kind = _KIND[rollup]
    keys = (*_FAMILY[rollup].groups, *_TIME_COLUMNS[kind])
    groups = ", ".join(_EXPRESSIONS.get(c, c) for c in keys)
    if rows:
        sums = ", ".join(SUM_COLUMNS) + ", 1"
    else:
        sums = ", ".join(f"sum({name})" for name in SUM_COLUMNS) + ", count(*)"
    return f"SELECT {groups}, {sums} FROM {BASE_TABLE} WHERE grain = '{_GRAIN[kind]}'"


def _insert(rollup: str) -> str:
    keys = (*_FAMILY[rollup].groups, *_TIME_COLUMNS[_KIND[rollup]])
    names = ", ".join((*keys, *SUM_COLUMNS, ROW_COUNT))
    return f"INSERT INTO {rollup} ({names}) "


_DAYS = "_adlens_rollup_days"
_IN_DAYS = f"EXISTS (SELECT 1 FROM {_DAYS} d WHERE d.date IS NOT DISTINCT FROM {{t}}.date)"


def refresh_rollups(
    con: duckdb.DuckDBPyConnection,
    target_table: str,
    ingest_id: int,
    workspace: str,
    *,
    replaced: bool = True,
    aggregate: bool = True,
) -> dict[str, int]:
    """Bring the rollups up to date with one load; returns rows written per rollup.

    Call inside the load's transaction, after its rows are final. Only ``ad_performance``
    has rollups (another ``target_table`` returns ``{}``).

    A load that removed no older rows (``replaced=False``: nothing restated) only adds
    rows, and sums are additive, so the aggregates of its own rows are appended: a rollup
    may then hold several rows for one group, which every query sums again anyway. With
    ``aggregate=False`` (an export with no column finer than a campaign, so about one row
    per group: see ``finer_than_groups``) its rows are appended to the campaign rollups as
    they are, sparing a GROUP BY that would not shrink them (the platform rollups are always
    grouped). A load that replaced rows re-aggregates the days it touched (matched
    NULL-safely) from the base table.
    """
    if target_table != BASE_TABLE:
        return {}
    if not replaced:
        return _append(con, ingest_id, aggregate)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_DAYS} AS SELECT DISTINCT date FROM {BASE_TABLE} "
        "WHERE workspace = ? AND ingest_id = ? AND grain IN ('day', 'hour')",
        [workspace, ingest_id],
    )
    written: dict[str, int] = {}
    try:
        for rollup in (t for f in FAMILIES for t in (f.day, f.hour, f.hour_day)):
            con.execute(
                f"DELETE FROM {rollup} WHERE workspace = ? AND {_IN_DAYS.format(t=rollup)}",
                [workspace],
            )
            rows = con.execute(
                _insert(rollup)
                + _aggregate(rollup)
                + f" AND workspace = ? AND {_IN_DAYS.format(t=BASE_TABLE)} GROUP BY ALL",
                [workspace],
            ).fetchall()
            written[rollup] = int(rows[0][0]) if rows else 0
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_DAYS}")
    # Range rows are few: the workspace's are re-aggregated whole.
    for rollup in (f.range for f in FAMILIES):
        con.execute(f"DELETE FROM {rollup} WHERE workspace = ?", [workspace])
        rows = con.execute(
            _insert(rollup) + _aggregate(rollup) + " AND workspace = ? GROUP BY ALL", [workspace]
        ).fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    return written


def _append(con: duckdb.DuckDBPyConnection, ingest_id: int, aggregate: bool) -> dict[str, int]:
    written: dict[str, int] = {}
    for rollup in ROLLUPS:
        if aggregate or _FAMILY[rollup] is not CAMPAIGNS:
            select = _aggregate(rollup) + " AND ingest_id = ? GROUP BY ALL"
        else:
            select = _aggregate(rollup, rows=True) + " AND ingest_id = ?"
        rows = con.execute(_insert(rollup) + select, [ingest_id]).fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    return written


def finer_than_groups(fields: Iterable[str]) -> bool:
    """Whether fact fields include one finer than the rollup groups (ad, keyword, UTM...).

    Without one, an export has about one row per rollup group and day, and grouping its
    rows would not make the rollup smaller.

    >>> finer_than_groups(["date", "campaign_name", "spend"]), finer_than_groups(["ad_name"])
    (False, True)
    """
    return any(name in _FINER for name in fields)


def _events_aggregate(rollup: str) -> str:
    groups = ", ".join(EVENT_ROLLUPS[rollup])
    return (
        f"INSERT INTO {rollup} SELECT {groups}, date_trunc('minute', ts), sum(value), count(*) "
        f"FROM {EVENTS_TABLE}"
    )


def extend_event_rollup(con: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, int]:
    """Append the minute aggregates of one batch of events; returns rows written per rollup.

    Events are only ever added, and sums are additive, so a minute may have several rows.
    """
    written: dict[str, int] = {}
    for rollup in EVENT_ROLLUPS:
        rows = con.execute(
            _events_aggregate(rollup) + " WHERE batch_id = ? GROUP BY ALL", [batch_id]
        )
        written[rollup] = int(rows.fetchall()[0][0])
    return written


def rebuild_rollups(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Recompute every rollup from the base table; returns rows written per rollup.

    Run it in a transaction (``Store.transaction``) when readers must never see it half done.
    """
    written: dict[str, int] = {}
    for rollup in ROLLUPS:
        con.execute(f"DELETE FROM {rollup}")
        # In time order, so each row group spans a short time and range queries skip most.
        order = ", ".join(_EXPRESSIONS.get(c, c) for c in _TIME_COLUMNS[_KIND[rollup]])
        rows = con.execute(
            _insert(rollup) + _aggregate(rollup) + f" GROUP BY ALL ORDER BY {order}"
        ).fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    for rollup, groups in EVENT_ROLLUPS.items():
        con.execute(f"DELETE FROM {rollup}")
        by_ts = len(groups) + 1
        rows = con.execute(_events_aggregate(rollup) + f" GROUP BY ALL ORDER BY {by_ts}").fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    return written


# --- planning -------------------------------------------------------------------------------


def rollup_for(plan: QueryPlan) -> str | None:
    """The rollup that answers ``plan`` exactly, or None for the base table (rule: module doc).

    Does not look at ``use_rollups``: ``compile.choose_source`` does.
    """
    g = plan.granularity
    if plan.table == EVENTS_TABLE:
        # Events count by their minute, and every granularity is whole minutes.
        for rollup, groups in EVENT_ROLLUPS.items():
            if _columns_answer(plan, groups, EVENT_SUMS):
                return rollup
        return None
    if plan.table != BASE_TABLE:
        return None
    for family in FAMILIES:
        if not _columns_answer(plan, family.groups, SUM_COLUMNS):
            continue
        if g is None or (g.name != "hour" and not g.sub_day):
            return family.day_utc if _utc_whole_days(plan) else family.day
        return family.hour if g.name == "hour" else None
    return None


def _columns_answer(plan: QueryPlan, groups: tuple[str, ...], sums: tuple[str, ...]) -> bool:
    """Every dimension, filter and measure of ``plan`` reads only these group and sum columns."""
    columns = _Columns(groups, sums)
    return (
        all(d.column in groups for d in plan.dimensions)
        and all(columns.answerable(m.measure.expression) for m in plan.measures)
        and columns.filter_answerable(plan.where)
        and columns.filter_answerable(plan.having)
    )


def _utc_whole_days(plan: QueryPlan) -> bool:
    """Hour rows count per UTC day: the zone is UTC and every range is whole days."""
    ranges = (plan.time_range, plan.compare_range)
    return plan.timezone == "UTC" and all(r is None or r.day_aligned for r in ranges)


def answerable(expression: exp.Expr) -> bool:
    """Whether every aggregate in a measure can be computed from the ad rollups' rows.

    >>> from adlens.query.semantic import BUILTIN_MEASURES
    >>> answerable(BUILTIN_MEASURES["cpm"].expression)
    True
    >>> import sqlglot
    >>> answerable(sqlglot.parse_one("MAX(spend)")), answerable(sqlglot.parse_one("COUNT(*)"))
    (False, True)
    """
    return _Columns(GROUP_COLUMNS, SUM_COLUMNS).answerable(expression)


@dataclass(frozen=True)
class _Columns:
    """The group and summed columns of one family of rollups."""

    groups: tuple[str, ...]
    sums: tuple[str, ...]

    def answerable(self, expression: exp.Expr) -> bool:
        for node in expression.walk():
            if isinstance(node, exp.Sum):
                if not self._summable(node.this):
                    return False
            elif isinstance(node, exp.Count):
                if not isinstance(node.this, exp.Star):
                    return False
            elif isinstance(node, (exp.Min, exp.Max, exp.Avg, exp.AggFunc)):
                return False
        return True

    def _summable(self, argument: exp.Expr) -> bool:
        """A ``SUM`` argument whose sum over rollup rows equals its sum over fact rows."""
        if isinstance(argument, exp.Paren):
            return self._summable(argument.this)
        if isinstance(argument, exp.Column):
            return argument.name in self.sums
        if isinstance(argument, exp.Null):
            return True
        if isinstance(argument, exp.Case):
            branches = argument.args.get("ifs") or []
            default = argument.args.get("default")
            return all(
                self._reads_groups(b.this) and self._summable(b.args["true"]) for b in branches
            ) and (default is None or self._summable(default))
        return False

    def _reads_groups(self, condition: exp.Expr) -> bool:
        """A row condition that reads only group columns (so holds for a whole group)."""
        return all(c.name in self.groups for c in condition.find_all(exp.Column)) and not any(
            isinstance(node, exp.AggFunc) for node in condition.walk()
        )

    def filter_answerable(self, node: Filter | None) -> bool:
        if node is None:
            return True
        if isinstance(node, Group):
            return all(self.filter_answerable(item) for item in node.items)
        if node.measure is not None:
            return self.answerable(node.measure.expression)
        return node.column in self.groups


def adapt(expression: exp.Expr) -> exp.Expr:
    """A measure rewritten for rollup rows: ``COUNT(*)`` becomes the sum of ``row_count``.

    >>> import sqlglot
    >>> adapt(sqlglot.parse_one("COUNT(*) + SUM(spend)")).sql()
    'COALESCE(SUM(row_count), 0) + SUM(spend)'
    """

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
            return exp.Coalesce(
                this=exp.Sum(this=column(ROW_COUNT)), expressions=[exp.Literal.number(0)]
            )
        return node

    return expression.transform(rewrite, copy=False)


# The views (``adlens.store.migrations``) that read rollups shaped like the base table:
# each rollup label, and the combinations exclusion counts read.
_VIEWS: dict[tuple[str, ...], str] = {
    (MINUTE,): "q_rollup_events_minute",
    (MINUTE_PLATFORM,): "q_rollup_events_minute_platform",
    (EVENTS_TABLE,): "q_events",
}
for _f in FAMILIES:
    _VIEWS |= {
        (_f.day,): f"q_{_f.day}",
        (_f.day_utc,): f"q_{_f.day_utc}",
        (_f.hour,): f"q_{_f.hour}",
        (_f.range,): f"q_{_f.range}",
        (_f.range, _f.day): f"q_{_f.range}_day",
    }


def exclusion_parts(rollup: str, *, with_days: bool) -> tuple[str, ...]:
    """The rollups that count the rows a plan answered by ``rollup`` leaves out: its family's
    range rollup, and its day rollup too when day rows are too coarse for the series."""
    family = _FAMILY[rollup]
    return (family.range, family.day) if with_days else (family.range,)


def events_relation() -> exp.Expr:
    """The events as rows counted by their minute, shaped like the base table (``events``)."""
    return _view((EVENTS_TABLE,), EVENTS_TABLE)


def relation(rollup: str, alias: str) -> exp.Expr:
    """The rows a rollup answers from, shaped like the base table, as ``alias``.

    ``rollup_ad_day`` reads the day, hour and range rollups (hour rows count in day buckets;
    range rows count in totals whose range covers them, and in a series bucket holding them);
    ``rollup_ad_day_utc`` the same with hour rows summed per UTC day; ``rollup_ad_hour``
    reads hour rollup rows only; ``rollup_events_minute`` the events' minutes.
    """
    return _view((rollup,), alias)


def parts_relation(parts: tuple[str, ...], alias: str) -> exp.Expr:
    """Rollup tables read together, shaped like the base table (``(RANGE,)``, ``(RANGE, DAY)``)."""
    return _view(parts, alias)


def _view(parts: tuple[str, ...], alias: str) -> exp.Expr:
    return exp.Table(
        this=exp.to_identifier(_VIEWS[parts]), alias=exp.TableAlias(this=exp.to_identifier(alias))
    )
