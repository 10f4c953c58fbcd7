"""``QueryPlan`` -> a sqlglot ``SELECT``, rendered for DuckDB (or PostgreSQL, ...).

The AST is built directly (no optimizer passes), so compiling costs microseconds. The only
parameter is the workspace (``$1`` in DuckDB and PostgreSQL, bound once however often a
query reads the table); every other value is a sqlglot literal, quoted by sqlglot.

Time (DESIGN.md section 3; ranges in ``timerange``):

- Rows are bucketed by local wall time in the query's zone. An hour row's ``ts`` (an
  instant, UTC) is converted with ``AT TIME ZONE`` first, so a DST day has 23 or 25 hours
  of data (on a fall-back day the repeated local hour is one bucket). A day row is bucketed
  by its ``date``: never shifted by a time-zone conversion.
- A granularity answers only rows at least as coarse as it: hour rows from ``hour`` up,
  day rows from ``day`` up. Finer buckets leave those rows out (they are never split); the
  result's metadata says how many and why (``grain_rows_excluded``).
- Range rows count only in queries whose range covers their whole period (any range row
  counts when the query has no range), and in a series only when their period lies in one
  bucket (a weekly export's Monday-to-Sunday rows in weeks, months and up, its Sunday-to-
  Saturday rows in weeks of a query whose ``weekStart`` is ``sunday``; a month's row in
  its month), where they count whole on their first day; they are never spread. The others
  are counted in ``range_rows_excluded``.
- ``compare`` aggregates the comparison period like the current one, with each row shifted
  by the period offset before bucketing, and joins it to the current groups on every group
  key (NULL-safe): ``spend_previous`` of ``ts.day = 2024-02-05`` is the spend of the day
  one period earlier. Groups with no current rows are left out.
- ``share``: ``value / SUM(value) OVER ()``, over all groups before ``limit``/``offset``.

Two forms: ``compile_plan`` computes the whole answer in one statement (what ``render``
gives, for PostgreSQL too); ``compile_split`` asks only for the aggregates, which
``post`` turns into measures, and reads both periods of a comparison without group keys
in one pass. The engine runs the split form where it applies (``compile_split``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlglot import exp

from adlens.query import post, rollups
from adlens.query.plan import Condition, Filter, Group, PlannedMeasure, QueryPlan
from adlens.query.post import Split
from adlens.query.semantic import column, ratio
from adlens.query.timerange import GRAIN_SECONDS, Granularity, Shift, TimeRange
from adlens.store.rollups import ROW_COUNT

AGGREGATES = (exp.Sum, exp.Count, exp.Min, exp.Max, exp.Avg)
NOW, BEFORE = "current_period", "previous_period"  # subquery names when comparing


@dataclass(frozen=True)
class Source:
    """Where a plan reads its rows: ``table``, and the rollup it is (``"base"``: none)."""

    table: str
    rollup: str = "base"
    empty: frozenset[str] = frozenset()  # rollup tables with no rows to read (``rollups``)

    @property
    def is_rollup(self) -> bool:
        """Whether the rows are pre-aggregated (measures read the rollup's sums)."""
        return self.rollup != "base"


def choose_source(plan: QueryPlan, *, use_rollups: bool | None = None) -> Source:
    """The coarsest source that answers ``plan`` exactly: a rollup, or the base table.

    ``use_rollups`` (default: ``rollups.rollups_enabled()``, see ``rollups.use_rollups``)
    False forces the base table. The rule for when a rollup answers is in ``rollups``.

    >>> from adlens.query.request import normalise
    >>> from adlens.query.semantic import Registry
    >>> plan = normalise({"measures": ["ctr"], "timeDimensions": [
    ...     {"dimension": "ts", "granularity": "week"}]}, Registry())
    >>> [choose_source(plan, use_rollups=on).rollup for on in (True, False)]
    ['rollup_ad_platform_day_utc', 'base']
    """
    enabled = rollups.rollups_enabled() if use_rollups is None else use_rollups
    rollup = rollups.rollup_for(plan) if enabled else None
    if rollup is None:
        return Source(plan.table)
    return Source(rollup, rollup)


def compile_plan(plan: QueryPlan, source: Source | None = None) -> exp.Select:
    """The query of ``plan``; its one parameter, ``$1``, is the workspace.

    >>> from adlens.query.request import normalise
    >>> from adlens.query.semantic import Registry
    >>> plan = normalise({"measures": ["ctr"], "dimensions": ["platform"]}, Registry())
    >>> print(compile_plan(plan, Source("ad_performance")).sql("duckdb"))
    ... # doctest: +NORMALIZE_WHITESPACE
    SELECT platform AS "platform", CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0)
    AS "ctr" FROM ad_performance WHERE workspace = $1 GROUP BY 1 ORDER BY 2 DESC, 1
    LIMIT 10000
    """
    source = source or choose_source(plan)
    times = _Times(plan)
    query = _grouped(plan, times, source, plan.time_range, None)
    if not plan.compare and not plan.share:
        return _page(plan, query)
    previous = None
    if plan.compare:
        previous = _grouped(plan, times, source, plan.compare_range, plan.shift)
    return _page(plan, _derived(plan, query, previous))


def compile_split(plan: QueryPlan, source: Source | None = None) -> Split | None:
    """``plan`` as a query of its aggregates, the measures computed from them (``post``).

    None when the plan runs as the single statement (``compile_plan``): a time series,
    ``share``, a measure with arithmetic ``post`` does not evaluate, or a comparison with
    group keys, a group filter or overlapping periods. A comparison without group keys
    (KPI tiles) reads both periods in one pass, grouped by which one a row is in.
    """
    source = source or choose_source(plan)
    if plan.share or plan.time_key:
        # A series returns a row per bucket: converting hundreds of rows in Python cost
        # as much as the expressions spared DuckDB (daily by platform, 90 days: 4.5 ms both).
        return None
    aggregates = post.Aggregates()
    formulas: dict[str, post.Formula] = {}
    for m in plan.measures:
        found = post.formula(_value(m, source), aggregates)
        if found is None:
            return None
        formulas[m.key] = found
    times = _Times(plan)
    if plan.compare is not None:
        return _compared_split(plan, times, source, aggregates, formulas)
    keys = plan.group_keys()  # the dimensions: a series runs as one statement
    values = [_alias(a, f"_{i}") for i, a in enumerate(aggregates.expressions)]
    measures = {m.key: m for m in plan.measures}
    order: list[exp.Ordered] = []
    for key, desc in plan.order:
        if key in keys:
            position = keys.index(key) + 1
        elif key not in formulas:
            return None
        elif (aggregate := formulas[key].column) is not None:
            position = len(keys) + aggregate + 1
        else:  # a measure beyond one aggregate: SQL computes it too, to order by it
            values.append(_alias(_value(measures[key], source), f"_order_{len(order)}"))
            position = len(keys) + len(values)
        order.append(_ordered(position, desc))
    query = _grouped(plan, times, source, plan.time_range, None, values)
    _set_page(query, order, plan.limit, plan.offset)
    return post.Split(query, tuple(keys), tuple(formulas.items()), tuple(aggregates.empty()))


def _compared_split(
    plan: QueryPlan,
    times: _Times,
    source: Source,
    aggregates: post.Aggregates,
    formulas: dict[str, post.Formula],
) -> Split | None:
    current, previous = plan.time_range, plan.compare_range
    if plan.group_keys() or plan.having is not None or current is None or previous is None:
        return None
    if current.start < previous.end and previous.start < current.end:
        return None  # a row may count in both periods: only the join says so
    in_current, in_previous = times.in_range(current), times.in_range(previous)
    assert in_current is not None and in_previous is not None  # both have a range
    period = _case(in_current.copy(), 0, 1)
    projections = [_alias(period, "_period")]
    projections += [_alias(a, f"_{i}") for i, a in enumerate(aggregates.expressions)]
    query = _select(projections, _relation(source))
    query = _group_by(query.where(row_filter(plan, _any(in_current, in_previous)), copy=False), 1)
    return post.Split(
        query,
        (),
        tuple(formulas.items()),
        tuple(aggregates.empty()),
        compare=True,
        offset=plan.offset,
        limit=plan.limit,
    )


def _grouped(
    plan: QueryPlan,
    times: _Times,
    source: Source,
    time_range: TimeRange | None,
    shift: Shift | None,
    values: list[exp.Expr] | None = None,
) -> exp.Select:
    """One period aggregated: group keys and measures (a comparison period shifted), or
    ``values`` in place of the measures."""
    projections: list[exp.Expr] = []
    if plan.time_key:
        projections.append(_alias(times.bucket(shift), plan.time_key))
    projections += [_alias(column(d.column), d.key) for d in plan.dimensions]
    if values is None:
        values = [_alias(_value(m, source), m.key) for m in plan.measures]
    projections += values
    query = _select(projections, _relation(source))
    query = query.where(_where(plan, times, time_range), copy=False)
    query = _group_by(query, len(plan.group_keys()))
    if plan.having is not None and shift is None:
        query = query.having(_filter(plan.having, source), copy=False)
    return query


def _derived(plan: QueryPlan, current: exp.Select, previous: exp.Select | None) -> exp.Select:
    """Comparison values, change and share, from the grouped periods, in result-key order.

    The comparison period joins the current one on every group key (NULL-safe), so a row
    is a current group with the values of the matching group one period earlier.
    """
    columns: dict[str, exp.Expr] = {}
    for m in plan.measures:
        columns[m.key] = _key(m.key, NOW)
        if previous is not None:
            before = _key(m.key, BEFORE)
            change = ratio(exp.Sub(this=_key(m.key, NOW), expression=before), before.copy())
            columns[f"{m.key}_previous"] = _alias(before.copy(), f"{m.key}_previous")
            columns[f"{m.key}_change"] = _alias(change, f"{m.key}_change")
    for key in plan.share:
        whole = exp.Window(this=exp.Sum(this=_key(key, NOW)))
        columns[f"{key}_share"] = _alias(ratio(_key(key, NOW), whole), f"{key}_share")
    projections = [columns.get(key) or _key(key, NOW) for key in plan.result_keys()]
    query = _select(projections, current.subquery(NOW, copy=False))
    if previous is not None:
        keys = [
            exp.NullSafeEQ(this=_key(k, NOW), expression=_key(k, BEFORE)) for k in plan.group_keys()
        ]
        on = _all(*keys) if keys else exp.true()
        join = exp.Join(this=previous.subquery(BEFORE, copy=False), on=on, side="LEFT")
        query.set("joins", [join])
    return query


def _page(plan: QueryPlan, query: exp.Select) -> exp.Select:
    keys = plan.result_keys()
    order = [_ordered(keys.index(key) + 1, desc) for key, desc in plan.order]
    return _set_page(query, order, plan.limit, plan.offset)


def _ordered(position: int, desc: bool) -> exp.Ordered:
    """``ORDER BY`` a result column by position, NULLs last either way."""
    return exp.Ordered(this=exp.Literal.number(position), desc=desc or None, nulls_first=False)


def _set_page(query: exp.Select, order: list[exp.Ordered], limit: int, offset: int) -> exp.Select:
    if order:
        query.set("order", exp.Order(expressions=order))
    query.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    if offset:
        query.set("offset", exp.Offset(expression=exp.Literal.number(offset)))
    return query


def _group_by(query: exp.Select, groups: int) -> exp.Select:
    """``GROUP BY 1, ..., groups`` (nothing when there are no group keys)."""
    if not groups:
        return query
    return query.group_by(*[exp.Literal.number(i) for i in range(1, groups + 1)], copy=False)


def compile_exclusions(plan: QueryPlan, source: Source | None = None) -> exp.Select | None:
    """Counts of the rows ``plan`` leaves out, or None when it cannot leave any out.

    ``range_rows``: range rows not counted; ``grain_rows``: rows in the range whose grain
    is coarser than the buckets (day rows of an hourly series). When a rollup answers the
    plan, its filters read only rollup group columns, so the rows are counted from the
    ``row_count`` of the range rollup (and of the day rollup for an hourly series);
    otherwise on the base table. The counts are the same whichever ``source`` answers the plan.
    """
    times = _Times(plan)
    parts: list[exp.Expr] = []
    if not times.ranges:
        pass
    elif plan.granularity is not None or plan.time_range is not None:
        covered = times.covered("range", plan.time_range)
        counted = exp.Coalesce(this=covered, expressions=[exp.false()])
        parts.append(_all(_grain_is("range"), exp.Not(this=counted)))
    for grain in times.too_fine():
        parts.append(times.covered(grain, plan.time_range))
    if not parts:
        return None
    is_range = _grain_is("range")
    rows: exp.Expr = exp.Literal.number(1)
    relation: exp.Expr = _table(plan.table)
    if source is not None and source.is_rollup:
        rows = column(ROW_COUNT)
        tables = rollups.exclusion_parts(source.rollup, with_days=bool(times.too_fine()))
        relation = rollups.parts_relation(tables, plan.table)
    counts = [
        _alias(exp.Sum(this=_case(is_range, rows.copy(), 0)), "range_rows"),
        _alias(exp.Sum(this=_case(is_range, 0, rows.copy())), "grain_rows"),
    ]
    conditions = [_workspace(), _any(*parts)]
    if plan.where is not None:
        conditions.append(_filter(plan.where))
    return _select(counts, relation).where(_all(*conditions), copy=False)


# --- time -----------------------------------------------------------------------------------


# The grains each fact table holds, besides range rows (which ``ad_performance`` and
# ``sessions`` may hold). Events are instants, counted by the minute they fall in.
TABLE_GRAINS: dict[str, tuple[str, ...]] = {
    "ad_performance": ("hour", "day"),
    "sessions": ("hour", "day"),
    "events": ("minute",),
}
_INSTANTS = ("minute", "hour")  # grains whose rows are instants (``ts``), not days


class _Times:
    """Time predicates and buckets of one plan."""

    def __init__(self, plan: QueryPlan) -> None:
        self.plan = plan
        g = plan.granularity
        self.held = TABLE_GRAINS[plan.table]
        self.ranges = plan.table != "events"
        self.grains = [
            grain for grain in self.held if g is None or GRAIN_SECONDS[grain] <= g.seconds
        ]
        if self.ranges and (g is None or not g.sub_day):
            self.grains.append("range")  # in a series: each row that fits one bucket
        instant = [grain for grain in self.held if grain in _INSTANTS]
        self.instant = instant[0]  # every table holds exactly one instant grain

    def too_fine(self) -> list[str]:
        """Grains the granularity cannot answer (their rows would have to be split)."""
        g = self.plan.granularity
        return [grain for grain in self.held if g is not None and GRAIN_SECONDS[grain] > g.seconds]

    def covered(self, grain: str, time_range: TimeRange | None) -> exp.Expr:
        """Rows of ``grain`` whose whole period lies in ``time_range`` (and, for range
        rows of a series, in one bucket)."""
        if grain == "range" and self.plan.granularity is not None:
            return _all(self._covered(grain, time_range), self._one_bucket())
        return self._covered(grain, time_range)

    def _covered(self, grain: str, time_range: TimeRange | None) -> exp.Expr:
        if time_range is None:
            return _grain_is(grain)
        if grain in _INSTANTS:
            first, last = time_range.instants(GRAIN_SECONDS[grain])
            between = exp.Between(this=column("ts"), low=_timestamp(first), high=_timestamp(last))
            return _all(_grain_is(grain), between)
        first_day, last_day = time_range.days()
        if first_day > last_day:
            return exp.false()
        if grain == "day":
            between = exp.Between(this=column("date"), low=_date(first_day), high=_date(last_day))
            return _all(_grain_is("day"), between)
        return _all(
            _grain_is("range"),
            exp.GTE(this=column("period_start"), expression=_date(first_day)),
            exp.LTE(this=column("period_end"), expression=_date(last_day)),
        )

    def _one_bucket(self) -> exp.Expr:
        """A range row's period lies in one bucket of the series: it counts there whole.

        Rows are never spread: a week that straddles two months counts in no month.
        """
        g = self.plan.granularity
        assert g is not None
        if g.sub_day:
            return exp.false()
        start, end = column("period_start"), column("period_end")
        if g.unit == "DAY":
            return exp.EQ(this=start, expression=end)
        return exp.EQ(
            this=truncate(_cast(start, "TIMESTAMP"), g, self.plan.first_weekday),
            expression=truncate(_cast(end, "TIMESTAMP"), g, self.plan.first_weekday),
        )

    def in_range(self, time_range: TimeRange | None) -> exp.Expr | None:
        """Rows a period counts (None: every row)."""
        if time_range is None and (self.plan.granularity is None or "range" not in self.grains):
            if len(self.grains) == len(self.held) + self.ranges:
                return None
            return exp.In(this=column("grain"), expressions=[_text(g) for g in self.grains])
        parts = [self.covered(grain, time_range) for grain in self.grains]
        live = [p for p in parts if not (isinstance(p, exp.Boolean) and not p.this)]
        return _any(*live) if live else exp.false()

    def bucket(self, shift: Shift | None) -> exp.Expr:
        """The time bucket of a row (of a comparison period: shifted into the current one)."""
        g = self.plan.granularity
        assert g is not None
        local = self._local_ts(shift)
        if g.sub_day:
            return truncate(local, g)
        day: exp.Expr
        if shift is None:
            day = exp.Case(
                ifs=[exp.If(this=_grain_is(self.instant), true=_cast(local, "DATE"))],
                default=_first_day(),
            )
        else:
            day = _cast(self._local_ts(shift, day_rows=True), "DATE")
        if g.unit == "DAY":
            return day
        return _cast(truncate(_cast(day, "TIMESTAMP"), g, self.plan.first_weekday), "DATE")

    def _local_ts(self, shift: Shift | None, *, day_rows: bool = False) -> exp.Expr:
        """Local wall time of an hour row (or, with ``day_rows``, of hour and day rows)."""
        local: exp.Expr = column("ts")
        if self.plan.timezone != "UTC":
            local = exp.AtTimeZone(
                this=exp.AtTimeZone(this=local, zone=_text("UTC")), zone=_text(self.plan.timezone)
            )
        if day_rows:
            local = exp.Case(
                ifs=[exp.If(this=_grain_is(self.instant), true=local)],
                default=_cast(_first_day(), "TIMESTAMP"),
            )
        return local if shift is None else exp.Add(this=local, expression=_interval(shift))


def _first_day() -> exp.Expr:
    """The day a day row is on, or the first day of a range row (bucketed whole)."""
    return exp.Coalesce(this=column("date"), expressions=[column("period_start")])


def truncate(value: exp.Expr, granularity: Granularity, first_weekday: int = 0) -> exp.Expr:
    """The start of the bucket of a TIMESTAMP: ``DATE_TRUNC``, or whole 5/15 minutes.

    Weeks starting on another day than Monday (``first_weekday``, 6 = Sunday): the value
    moved forward to the ISO week whose Monday is the bucket's first day, truncated, and
    moved back (Sunday weeks: ``DATE_TRUNC('WEEK', value + 1 day) - 1 day``).
    """
    step = granularity.step
    if granularity.unit == "WEEK" and first_weekday:
        days = _interval_of(7 - first_weekday, "DAY")
        moved = exp.Add(this=value, expression=days)
        week = exp.TimestampTrunc(this=moved, unit=exp.Var(this="WEEK"))
        return exp.Sub(this=week, expression=days.copy())
    if step == 1:
        return exp.TimestampTrunc(this=value, unit=exp.Var(this=granularity.unit))
    hour = exp.TimestampTrunc(this=value, unit=exp.Var(this="HOUR"))
    minute = exp.Extract(this=exp.Var(this="MINUTE"), expression=value.copy())
    slot = exp.Floor(this=exp.Div(this=minute, expression=exp.Literal.number(step)))
    minutes = _cast(exp.Mul(this=slot, expression=exp.Literal.number(step)), "INT")
    return exp.Add(
        this=hour, expression=exp.Mul(this=minutes, expression=_interval_of(1, "MINUTE"))
    )


def _interval(shift: Shift) -> exp.Expr:
    if shift.years:
        return _interval_of(shift.years, "YEAR")
    if shift.days:
        return _interval_of(shift.days, "DAY")
    return _interval_of(shift.seconds, "SECOND")


def _interval_of(count: int, unit: str) -> exp.Interval:
    return exp.Interval(this=exp.Literal.string(str(count)), unit=exp.Var(this=unit))


# --- rows and groups ------------------------------------------------------------------------


def _where(plan: QueryPlan, times: _Times, time_range: TimeRange | None) -> exp.Expr:
    return row_filter(plan, times.in_range(time_range))


def row_filter(plan: QueryPlan, in_range: exp.Expr | None) -> exp.Expr:
    """The rows a query reads: the workspace's, ``in_range`` (None: any time), the measures'
    platforms and the plan's dimension filters."""
    conditions = [_workspace()]
    if in_range is not None:
        conditions.append(in_range)
    platforms = [m.platforms for m in plan.measures]
    if platforms and all(p is not None for p in platforms):
        union = sorted({name for p in platforms if p for name in p})
        conditions.append(exp.In(this=column("platform"), expressions=[_text(p) for p in union]))
    if plan.where is not None:
        conditions.append(_filter(plan.where))
    return _all(*conditions)


def _value(planned: PlannedMeasure, source: Source | None = None) -> exp.Expr:
    """A measure's aggregate, over its platforms' rows (the spec's per-metric data_type)."""
    condition = None
    if planned.platforms:
        condition = exp.In(
            this=column("platform"), expressions=[_text(p) for p in planned.platforms]
        )
    expression = planned.measure.expression.copy()
    if source is not None and source.is_rollup:
        expression = rollups.adapt(expression)
    return _with_condition(expression, condition)


def _with_condition(expression: exp.Expr, condition: exp.Expr | None) -> exp.Expr:
    """Every aggregate in ``expression`` restricted to the rows where ``condition`` holds."""
    if condition is None:
        return expression
    rows = condition

    def restrict(node: exp.Expr) -> exp.Expr:
        if isinstance(node, AGGREGATES):
            argument = node.this
            if isinstance(argument, exp.Star):
                argument = exp.Literal.number(1)
            return type(node)(this=_case(rows.copy(), argument, None))
        return node

    return expression.transform(restrict, copy=False)


def _filter(node: Filter, source: Source | None = None) -> exp.Expr:
    if isinstance(node, Group):
        parts = [_filter(item, source) for item in node.items]
        return exp.Paren(this=_all(*parts) if node.op == "and" else _any(*parts))
    return _condition(node, source)


def _condition(node: Condition, source: Source | None = None) -> exp.Expr:
    if node.measure is not None:
        measure = PlannedMeasure(node.measure.name, node.measure, node.platforms)
        target = _value(measure, source)
        literals: list[exp.Expr] = [exp.Literal.number(repr(v)) for v in node.values]
    else:
        assert node.column is not None
        target = column(node.column)
        literals = [_text(str(v)) for v in node.values]
    op = node.operator
    if op == "set":
        return exp.Not(this=exp.Is(this=target, expression=exp.Null()))
    if op == "notSet":
        return exp.Is(this=target, expression=exp.Null())
    if op in ("equals", "notEquals"):
        inside: exp.Expr = (
            exp.EQ(this=target, expression=literals[0])
            if len(literals) == 1
            else exp.In(this=target, expressions=literals)
        )
        if op == "equals":
            return inside
        return exp.Paren(this=_any(exp.Not(this=inside), _is_null(target)))
    if op in ("gt", "gte", "lt", "lte"):
        kind = {"gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE}[op]
        return kind(this=target, expression=literals[0])
    lowered = exp.Lower(this=target)
    matches = [_text_match(op, lowered.copy(), str(v)) for v in node.values]
    any_match = exp.Paren(this=_any(*matches))
    if op == "notContains":
        return exp.Paren(this=_any(exp.Not(this=any_match), _is_null(target)))
    return any_match


def _text_match(op: str, lowered: exp.Expr, value: str) -> exp.Expr:
    """Case-insensitive contains / startsWith / endsWith, free of LIKE wildcards."""
    needle = exp.Lower(this=_text(value))
    if op in ("contains", "notContains"):
        found = exp.StrPosition(this=lowered, substr=needle)
        return exp.GT(this=found, expression=exp.Literal.number(0))
    if op == "startsWith":
        return exp.StartsWith(this=lowered, expression=needle)
    tail = exp.Right(this=lowered, expression=exp.Literal.number(len(value)))
    return exp.EQ(this=tail, expression=needle)


# --- small builders -------------------------------------------------------------------------


def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name))


def _relation(source: Source) -> exp.Expr:
    """What ``FROM`` reads: the table, or a rollup's rows shaped like the base table."""
    if source.is_rollup:
        return rollups.relation(source.rollup, source.table, source.empty)
    if source.table == "events":
        return rollups.events_relation()
    return _table(source.table)


def _select(projections: list[exp.Expr], source: exp.Expr) -> exp.Select:
    return exp.Select(expressions=projections).from_(source, copy=False)


def _key(key: str, table: str) -> exp.Expr:
    """A result column by its key (quoted: keys hold dots, ``ts.day``)."""
    return exp.Column(this=exp.to_identifier(key, quoted=True), table=exp.to_identifier(table))


def _alias(expression: exp.Expr, key: str) -> exp.Expr:
    return exp.alias_(expression, key, quoted=True, copy=False)


def _text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _timestamp(value: datetime) -> exp.Expr:
    return _cast(_text(value.isoformat(sep=" ")), "TIMESTAMP")


def _date(value: date) -> exp.Expr:
    return _cast(_text(value.isoformat()), "DATE")


def _grain_is(grain: str) -> exp.Expr:
    return exp.EQ(this=column("grain"), expression=_text(grain))


def _is_null(value: exp.Expr) -> exp.Expr:
    return exp.Is(this=value.copy(), expression=exp.Null())


def _workspace() -> exp.Expr:
    # $1, the one parameter: DuckDB and PostgreSQL both bind it, however often it appears.
    parameter = exp.Parameter(this=exp.Literal.number(1))
    return exp.EQ(this=column("workspace"), expression=parameter)


def _case(condition: exp.Expr, then: exp.Expr | int, default: exp.Expr | int | None) -> exp.Expr:
    def value(v: exp.Expr | int) -> exp.Expr:
        return exp.Literal.number(v) if isinstance(v, int) else v

    return exp.Case(
        ifs=[exp.If(this=condition, true=value(then))],
        default=None if default is None else value(default),
    )


def _all(*conditions: exp.Expr) -> exp.Expr:
    return exp.and_(*conditions, copy=False)


def _any(*conditions: exp.Expr) -> exp.Expr:
    return exp.or_(*conditions, copy=False)


def _cast(value: exp.Expr, to: str) -> exp.Expr:
    # A DataType built from the enum: no parsing of the type name on every query.
    return exp.Cast(this=value, to=exp.DataType(this=exp.DataType.Type[to]))
