"""When a pre-aggregated rollup answers a query, and how it is read.

The rollup tables and their upkeep inside each load are ``adlens.store.rollups``.

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

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from adlens.query.plan import Filter, Group, QueryPlan
from adlens.query.semantic import column
from adlens.store.migrations import VIEW_PARTS, part_kind, without_view
from adlens.store.rollups import (
    BASE_TABLE,
    EVENT_ROLLUPS,
    EVENT_SUMS,
    EVENTS_TABLE,
    FAMILIES,
    FAMILY_OF,
    GROUP_COLUMNS,
    MINUTE,
    MINUTE_PLATFORM,
    ROW_COUNT,
    SUM_COLUMNS,
)

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


# --- planning -------------------------------------------------------------------------------


def rollup_for(plan: QueryPlan) -> str | None:
    """The rollup that answers ``plan`` exactly, or None for the base table (rule: module doc).

    Does not look at ``use_rollups``: ``compile.choose_source`` does. Remembered per plan
    fingerprint: walking every measure's expression for each family took longer than
    compiling the plan's SQL.
    """
    key = plan.fingerprint()
    with _CHOSEN_LOCK:
        if key in _CHOSEN:
            return _CHOSEN[key]
    chosen = _rollup_for(plan)
    with _CHOSEN_LOCK:
        if len(_CHOSEN) >= 1024:
            _CHOSEN.pop(next(iter(_CHOSEN)))
        _CHOSEN[key] = chosen
    return chosen


_CHOSEN: dict[str, str | None] = {}
_CHOSEN_LOCK = threading.Lock()


def _rollup_for(plan: QueryPlan) -> str | None:
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
    family = FAMILY_OF[rollup]
    return (family.range, family.day) if with_days else (family.range,)


def events_relation() -> exp.Expr:
    """The events as rows counted by their minute, shaped like the base table (``events``)."""
    return _view((EVENTS_TABLE,), EVENTS_TABLE)


def relation(rollup: str, alias: str, empty: frozenset[str] = frozenset()) -> exp.Expr:
    """The rows a rollup answers from, shaped like the base table, as ``alias``.

    ``rollup_ad_day`` reads the day, hour and range rollups (hour rows count in day buckets;
    range rows count in totals whose range covers them, and in a series bucket holding them);
    ``rollup_ad_day_utc`` the same with hour rows summed per UTC day; ``rollup_ad_hour``
    reads hour rollup rows only; ``rollup_events_minute`` the events' minutes.

    ``empty``: rollup tables known to hold no rows of the workspace, left out (a view of
    the others: most stores have no range rows, many no hour rows, and each table a query
    names costs DuckDB planning time however few rows it holds).

    >>> relation("rollup_ad_day", "r").sql()
    'q_rollup_ad_day AS r'
    >>> relation("rollup_ad_day", "r", frozenset({"rollup_ad_hour", "rollup_ad_range"})).sql()
    'q_rollup_ad_day_without_hour_range AS r'
    """
    view = _VIEWS[(rollup,)]
    missing = [part_kind(table) for table in VIEW_PARTS.get(view, ()) if table in empty]
    if not missing or len(missing) == len(VIEW_PARTS[view]):
        return _view((rollup,), alias)
    return exp.Table(
        this=exp.to_identifier(without_view(view, missing)),
        alias=exp.TableAlias(this=exp.to_identifier(alias)),
    )


def tables(rollup: str) -> frozenset[str]:
    """The rollup tables ``relation(rollup)`` reads.

    >>> sorted(tables("rollup_ad_platform_day_utc"))
    ['rollup_ad_platform_day', 'rollup_ad_platform_hour_day', 'rollup_ad_platform_range']
    """
    return frozenset(VIEW_PARTS.get(_VIEWS[(rollup,)], ()))


def empty_tables(con: duckdb.DuckDBPyConnection, workspace: str) -> frozenset[str]:
    """The ad rollup tables with no rows of ``workspace`` (one query, all tables)."""
    names = sorted({table for parts in VIEW_PARTS.values() for table in parts})
    probes = ", ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE workspace = $1) AS {table}" for table in names
    )
    found = con.execute(f"SELECT {probes}", [workspace]).fetchall()[0]
    return frozenset(table for table, has_rows in zip(names, found, strict=True) if not has_rows)


def parts_relation(parts: tuple[str, ...], alias: str) -> exp.Expr:
    """Rollup tables read together, shaped like the base table (``(RANGE,)``, ``(RANGE, DAY)``)."""
    return _view(parts, alias)


def _view(parts: tuple[str, ...], alias: str) -> exp.Expr:
    return exp.Table(
        this=exp.to_identifier(_VIEWS[parts]), alias=exp.TableAlias(this=exp.to_identifier(alias))
    )
