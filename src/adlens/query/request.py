"""Two request shapes, one plan: the original spec's dashboard query and a Cube-style query.

Spec shape (DESIGN.md section 5; names and data types in ``spec``)::

    {"metrics": [{"name": "total_spend", "data_type": "meta_ads",
                  "dimensions": ["campaign_name"], "aggregation_type": "sum"}],
     "time_range": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-31T23:59:59Z"},
     "granularity": 3600}

- Result keys are the metric names as sent (``total_spend``): each name may appear once.
- Metrics sharing one ``data_type`` filter the rows by its platform; metrics with different
  data types are each summed over their own platform's rows.
- The rows are broken down by every dimension any metric names.
- ``granularity`` is in seconds: 60, 300, 900, 3600, 86400, 604800 (week), 2592000
  (month), 7776000 (quarter), 31536000 (year); a name (``day``) works too; absent, 0 or
  null = no time buckets (totals and breakdowns).
- ``time_range`` ``{start, end}``: ISO 8601, the end inclusive at its precision (see
  ``timerange``); a relative phrase ("last 7 days") works too.
- The Cube extras (``timezone``, ``filters``, ``order``, ``limit``, ``offset``,
  ``compare``, ``share``, ``weekStart``) are accepted in this shape as well.

Cube shape: ``measures``, ``dimensions``, ``timeDimensions`` (one, on ``ts``, with
``granularity`` and/or ``dateRange``), ``filters`` (see ``filters``), ``order``
(``{"spend": "desc"}`` or ``[["spend", "desc"]]``, by any result key), ``limit`` (default
10000, at most 50000), ``offset``, ``timezone`` (IANA, default UTC), plus ``compare``
(``previous_period`` | ``same_period_last_year``), ``share`` (list of measures) and
``weekStart`` (the day weeks start on: ``monday``, the default, or ``sunday``... for week
buckets and ``this|last week``, ``last N weeks``).
Without ``order``, rows come by time, else by the first measure descending, else by the
first dimension; the remaining group keys break ties. NULLs sort last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from adlens.query.errors import QueryError, check_keys, did_you_mean
from adlens.query.filters import bind_columns, conjunction, parse_filters
from adlens.query.plan import Condition, Filter, PlannedDimension, PlannedMeasure, QueryPlan
from adlens.query.semantic import TABLES, TIME_DIMENSION, Registry, Table, strip_prefix
from adlens.query.spec import spec_measure, spec_metric
from adlens.query.timerange import (
    COMPARES,
    Compare,
    Granularity,
    TimeRange,
    bounds,
    compare_range,
    date_range,
    granularity,
    week_start,
    zone,
)

DEFAULT_LIMIT = 10_000
MAX_LIMIT = 50_000
EXTRAS = ("filters", "order", "limit", "offset", "timezone", "compare", "share", "weekStart")
CUBE_KEYS = ("measures", "dimensions", "timeDimensions", *EXTRAS)
SPEC_KEYS = ("metrics", "time_range", "granularity", *EXTRAS)


def normalise(
    request: Mapping[str, Any], registry: Registry, *, now: datetime | None = None
) -> QueryPlan:
    """The plan of a request of either shape (``metrics`` -> spec, else Cube).

    ``now`` anchors relative ranges (default: the current time; naive means UTC).
    """
    if not isinstance(request, Mapping):
        raise QueryError("a query is a JSON object")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    planner = _Planner(registry, now)
    if "metrics" in request:
        return planner.spec(request)
    return planner.cube(request)


class _Planner:
    """Collects the parts of one request, then checks them together (``finish``)."""

    def __init__(self, registry: Registry, now: datetime) -> None:
        self.registry = registry
        self.now = now
        self.measures: list[PlannedMeasure] = []
        self.dimensions: list[str] = []
        self.granularity: Granularity | None = None
        self.time_range: TimeRange | None = None
        self.where: list[Filter] = []
        self.tz = zone(None)
        self.first_weekday = 0

    def _calendar(self, request: Mapping[str, Any]) -> None:
        """The time zone and week start every time range and bucket of the request uses."""
        self.tz = zone(request.get("timezone", "UTC"))
        self.first_weekday = week_start(request.get("weekStart"))

    def _range(self, value: object, where: str) -> TimeRange:
        return date_range(value, self.tz, self.now, where=where, first_weekday=self.first_weekday)

    def cube(self, request: Mapping[str, Any]) -> QueryPlan:
        """The plan of a Cube-style request."""
        check_keys(request, CUBE_KEYS, "query")
        self._calendar(request)
        for i, name in enumerate(_strings(request.get("measures", []), "measures")):
            measure = self.registry.measure(name, where=f"measures[{i}]")
            self._add_measure(PlannedMeasure(measure.name, measure))
        for i, name in enumerate(_strings(request.get("dimensions", []), "dimensions")):
            self._add_dimension(self.registry.dimension(name, where=f"dimensions[{i}]").name)
        time_dimensions = request.get("timeDimensions") or []
        if not isinstance(time_dimensions, list) or len(time_dimensions) > 1:
            raise QueryError(
                "timeDimensions is a list with at most one entry (on 'ts')",
                where={"field": "timeDimensions"},
            )
        for item in time_dimensions:
            self._time_dimension(item)
        return self._finish(request, "cube")

    def spec(self, request: Mapping[str, Any]) -> QueryPlan:
        """The plan of the original spec's request."""
        check_keys(request, SPEC_KEYS, "query")
        self._calendar(request)
        metrics = request["metrics"]
        if not isinstance(metrics, list) or not metrics:
            raise QueryError("metrics is a non-empty list", where={"field": "metrics"})
        items = [spec_metric(m, i) for i, m in enumerate(metrics)]
        platforms = {item.platform for item in items}
        shared = len(platforms) == 1
        for i, item in enumerate(items):
            where = f"metrics[{i}]"
            measure = spec_measure(self.registry, item, where)
            own = None if shared or item.platform is None else (item.platform,)
            self._add_measure(PlannedMeasure(item.name, measure, own))
            for j, name in enumerate(item.dimensions):
                dimension = self.registry.dimension(name, where=f"{where}.dimensions[{j}]")
                self._add_dimension(dimension.name)
        common = platforms.pop()
        if shared and common is not None:
            self.where.append(Condition("equals", (common,), column="platform"))
        if request.get("granularity") not in (None, 0, ""):
            self.granularity = granularity(request["granularity"])
        time_range = request.get("time_range")
        if isinstance(time_range, Mapping):
            check_keys(time_range, ("start", "end"), "time_range")
            start, end = time_range.get("start"), time_range.get("end")
            if not isinstance(start, str) or not isinstance(end, str):
                raise QueryError(
                    "time_range needs start and end (ISO 8601)", where={"field": "time_range"}
                )
            self._narrow(bounds(start, end, self.tz, where="time_range"))
        elif time_range is not None:
            self._narrow(self._range(time_range, "time_range"))
        return self._finish(request, "spec")

    # --- parts ------------------------------------------------------------------------------

    def _add_measure(self, planned: PlannedMeasure) -> None:
        if any(m.key == planned.key for m in self.measures):
            raise QueryError(f"measure {planned.key!r} is asked for twice")
        self.measures.append(planned)

    def _add_dimension(self, name: str) -> None:
        if name not in self.dimensions:
            self.dimensions.append(name)

    def _time_dimension(self, item: object) -> None:
        if not isinstance(item, Mapping):
            raise QueryError("a time dimension is an object", where={"field": "timeDimensions"})
        check_keys(item, ("dimension", "granularity", "dateRange"), "timeDimensions[0]")
        name = item.get("dimension")
        if not isinstance(name, str) or strip_prefix(name) != TIME_DIMENSION:
            raise QueryError(
                f"the time dimension is 'ts', not {name!r}",
                where={"field": "timeDimensions[0].dimension"},
            )
        if item.get("granularity") is not None:
            where = "timeDimensions[0].granularity"
            self.granularity = granularity(item["granularity"], where=where)
        if item.get("dateRange") is not None:
            where = "timeDimensions[0].dateRange"
            self._narrow(self._range(item["dateRange"], where))

    def _narrow(self, time_range: TimeRange) -> None:
        """Intersect the query's time range with another one (an empty one stays empty)."""
        if self.time_range is None:
            self.time_range = time_range
            return
        start = max(self.time_range.start, time_range.start)
        end = max(start, min(self.time_range.end, time_range.end))
        self.time_range = TimeRange(start, end)

    # --- the plan ---------------------------------------------------------------------------

    def _finish(self, request: Mapping[str, Any], shape: str) -> QueryPlan:
        if not self.measures and not self.dimensions and self.granularity is None:
            raise QueryError(
                "the query asks for nothing: name at least one measure or dimension",
                where={"field": "measures"},
                hint='for example {"measures": ["spend"]}',
            )
        filters = parse_filters(request.get("filters"), self.registry, self.measures)
        for value, where in filters.date_ranges:
            self._narrow(self._range(value, where))
        table = self._table()
        dimensions = []
        for name in self.dimensions:
            dimension = self.registry.dimension(name)
            if table not in dimension.columns:
                raise QueryError(
                    f"dimension {name!r} is not available for {table} measures",
                    where={"field": "dimensions"},
                )
            dimensions.append(PlannedDimension(name, dimension, dimension.columns[table]))
        rows = [bind_columns(node, table, self.registry) for node in self.where + filters.where]
        groups = [bind_columns(node, table, self.registry) for node in filters.having]
        compare = _compare(request.get("compare"))
        compare_to = shift = None
        if compare:
            if self.time_range is None:
                raise QueryError(
                    "compare needs a time range (dateRange or time_range)",
                    where={"field": "compare"},
                )
            compare_to, shift = compare_range(self.time_range, compare)
        draft = QueryPlan(
            table=table,
            measures=tuple(self.measures),
            dimensions=tuple(dimensions),
            granularity=self.granularity,
            timezone=str(self.tz.key),
            first_weekday=self.first_weekday,
            time_range=self.time_range,
            where=conjunction(rows),
            having=conjunction(groups),
            order=(),
            limit=_integer(request.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            offset=_integer(request.get("offset"), "offset", 0, 0, None),
            compare=compare,
            compare_range=compare_to,
            shift=shift,
            share=self._share(request.get("share")),
            shape="spec" if shape == "spec" else "cube",
        )
        return replace(draft, order=_order(draft, request.get("order")))

    def _table(self) -> Table:
        tables = {m.measure.table for m in self.measures}
        if len(tables) > 1:
            names = ", ".join(f"{m.key} ({m.measure.table})" for m in self.measures)
            raise QueryError(
                f"measures from different tables cannot be combined in one query: {names}",
                hint="query ad measures and GA4 session measures separately",
                where={"field": "measures"},
            )
        if tables:
            return tables.pop()
        for table in TABLES:
            if all(table in self.registry.dimension(d).columns for d in self.dimensions):
                return table
        return "ad_performance"

    def _share(self, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        keys = [m.key for m in self.measures]
        shares = []
        for name in _strings(value, "share"):
            key = strip_prefix(name)
            planned = next((m for m in self.measures if m.key == key), None)
            if planned is None:
                hint = did_you_mean(key, keys)
                raise QueryError(
                    f"share of {name!r}: it is not a measure of this query.{hint}",
                    where={"field": "share"},
                )
            if planned.measure.kind == "ratio":
                raise QueryError(
                    f"share of {name!r}: a ratio has no total to take a share of",
                    where={"field": "share"},
                )
            shares.append(key)
        return tuple(shares)


def _order(plan: QueryPlan, value: object) -> tuple[tuple[str, bool], ...]:
    keys = plan.result_keys()
    aliases = {strip_prefix(k): k for k in keys}
    if plan.time_key:
        aliases[TIME_DIMENSION] = plan.time_key
    pairs: list[tuple[object, object]]
    if value is None:
        pairs = []
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list) and all(
        isinstance(p, list | tuple) and len(p) == 2 for p in value
    ):
        pairs = [(p[0], p[1]) for p in value]
    else:
        raise QueryError(
            "order is {member: 'asc'|'desc'} or [[member, 'asc'|'desc'], ...]",
            where={"field": "order"},
        )
    order: list[tuple[str, bool]] = []
    for member, direction in pairs:
        key = aliases.get(strip_prefix(str(member)))
        if key is None:
            hint = did_you_mean(str(member), keys)
            raise QueryError(
                f"cannot order by {member!r}: not in the result.{hint}", where={"field": "order"}
            )
        if direction not in ("asc", "desc"):
            raise QueryError(
                f"order direction is 'asc' or 'desc', not {direction!r}", where={"field": "order"}
            )
        order.append((key, direction == "desc"))
    if not order:
        if plan.time_key:
            order.append((plan.time_key, False))
        elif plan.measures:
            order.append((plan.measures[0].key, True))
    ordered = {key for key, _ in order}
    return tuple(order + [(key, False) for key in plan.group_keys() if key not in ordered])


def _strings(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{where} is a list of names", where={"field": where})
    return value


def _integer(value: object, where: str, default: int, low: int, high: int | None) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise QueryError(f"{where} is a whole number", where={"field": where})
    number = int(value)
    if number < low or (high is not None and number > high):
        top = f" and at most {high}" if high is not None else ""
        raise QueryError(f"{where} must be at least {low}{top}", where={"field": where})
    return number


def _compare(value: object) -> Compare | None:
    if value is None:
        return None
    if value == "previous_period" or value == "same_period_last_year":
        return value
    hint = did_you_mean(str(value), COMPARES)
    raise QueryError(
        f"unknown compare {value!r}.{hint} Use {' or '.join(COMPARES)}",
        where={"field": "compare"},
    )
