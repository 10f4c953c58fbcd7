"""Run a query (either shape) on the store's DuckDB connection: plan, compile, execute.

``run_query`` returns a ``QueryResult``: ``data`` (rows as dicts keyed by member name, see
``plan``) and ``metadata``:

- ``query_time``: seconds, from the request to the last value converted;
- ``row_count``, ``rollup`` (which rollup answered; ``"base"`` = the fact table),
  ``source`` (the table read), ``shape`` (``spec`` or ``cube``);
- ``data_version`` (``Store.data_version``: grows with every load) and ``last_load`` (when
  the workspace's last load finished, ISO 8601, or null);
- ``range_rows_excluded`` and ``grain_rows_excluded``: ``{"count", "reason"}``: range rows
  (exports without a per-day breakdown) not counted, and rows of a grain coarser than the
  buckets (day rows in an hourly series), which are never split;
- ``timezone``, ``granularity``, ``time_range`` / ``compare_range`` (as resolved:
  ``[start, end)``, ISO 8601 in the query's zone), ``annotation`` (type and format of each
  key) and ``sql`` (the DuckDB SQL executed; its one parameter, ``$1``, is the workspace).

Values are JSON-safe: dates and times as ISO strings (``ts.day`` etc. as ``YYYY-MM-DD``,
sub-day buckets as local wall time ``YYYY-MM-DDTHH:MM:SS``), never NaN or Infinity, numbers
with the 15 significant digits a double holds (no summing noise beyond them).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from adlens.numbers import significant
from adlens.query.cache import MemoryCache, RedisCache, TieredCache, cache_key
from adlens.query.compile import (
    Source,
    choose_source,
    compile_exclusions,
    compile_plan,
    compile_split,
)
from adlens.query.expression import compile_definition
from adlens.query.metrics import load_custom
from adlens.query.plan import QueryPlan
from adlens.query.post import Split
from adlens.query.request import normalise
from adlens.query.rollups import empty_tables, tables
from adlens.query.semantic import CustomDefinition, Registry
from adlens.query.timerange import GRAIN_SECONDS, WEEKDAYS
from adlens.settings import Settings, get_settings
from adlens.store import Store
from adlens.store.rollups import BASE_TABLE

T = TypeVar("T")


@dataclass
class QueryResult:
    """Rows and metadata of one query."""

    data: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"data": ..., "metadata": ...}``, the response body."""
        return {"data": self.data, "metadata": self.metadata}


def run_query(
    store: Store,
    request: Mapping[str, Any],
    *,
    workspace: str = "default",
    now: datetime | None = None,
    cache: TieredCache | None = None,
) -> QueryResult:
    """Answer a dashboard query of either shape over one workspace.

    ``now`` (default: the current time) anchors relative ranges such as "last 7 days".
    With a ``cache``, answers are kept under the plan (relative ranges resolved) and the
    store's data version, so a load never leaves a stale answer behind; ``metadata.cache``
    says ``{"hit": bool, "level": "l1" | "l2" | None}``.

    >>> import tempfile, os
    >>> from adlens.store import open_store
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "q.duckdb")) as store:
    ...     result = run_query(store, {"measures": ["spend", "ctr"]})
    >>> result.data, result.metadata["row_count"], result.metadata["rollup"]
    ([{'spend': None, 'ctr': None}], 1, 'rollup_ad_platform_day_utc')
    """
    started = time.perf_counter()
    plan = plan_query(store, request, workspace=workspace, now=now)
    if cache is None:
        result = execute(store, plan, workspace=workspace, started=started)
        result.metadata["cache"] = {"hit": False, "level": None}
        return result
    version = store.data_version(workspace)
    key = cache_key({"plan": plan.fingerprint()}, workspace=workspace, data_version=version)
    cached, level = cache.get(key)
    if cached is not None:
        cached["metadata"]["cache"] = {"hit": True, "level": level}
        cached["metadata"]["query_time"] = time.perf_counter() - started
        return QueryResult(cached["data"], cached["metadata"])
    result = execute(store, plan, workspace=workspace, started=started, data_version=version)
    cache.set(key, result.to_dict())
    result.metadata["cache"] = {"hit": False, "level": None}
    return result


def cache_from_settings(settings: Settings | None = None) -> TieredCache:
    """The query cache the settings describe: in process, plus Redis when configured."""
    settings = settings or get_settings()
    l1 = MemoryCache(max_bytes=settings.cache_bytes, default_ttl=settings.cache_ttl)
    l2 = (
        RedisCache(settings.redis_url, default_ttl=settings.cache_ttl)
        if settings.redis_url
        else None
    )
    return TieredCache(l1, l2)


def plan_query(
    store: Store,
    request: Mapping[str, Any],
    *,
    workspace: str = "default",
    now: datetime | None = None,
) -> QueryPlan:
    """The normalised plan of a request (custom metrics read from the workspace if named)."""
    registry = Registry(custom=_LazyCustom(store, workspace), compile_custom=compile_definition)
    return normalise(request, registry, now=now)


def render(plan: QueryPlan, dialect: str = "duckdb", *, rollups: bool = False) -> str:
    """The SQL of ``plan`` in a sqlglot dialect (``duckdb``, ``postgres``, ...).

    By default it reads the base fact table, which every engine the facts move to has;
    ``rollups=True`` lets it read this store's rollup tables too.
    """
    return compile_plan(plan, choose_source(plan, use_rollups=rollups)).sql(
        dialect=dialect, copy=False
    )


def execute(
    store: Store,
    plan: QueryPlan,
    *,
    workspace: str = "default",
    started: float | None = None,
    data_version: int | None = None,
) -> QueryResult:
    """Run a plan on the store's DuckDB connection (``data_version``: when already read)."""
    started = time.perf_counter() if started is None else started
    if data_version is None:
        data_version = store.data_version(workspace)
    source = choose_source(plan)
    if source.is_rollup and plan.table == BASE_TABLE:
        empty = _FACTS.scope(store, workspace, data_version).get(
            "empty_rollups", lambda: empty_tables(store.con, workspace)
        )
        source = replace(source, empty=empty & tables(source.rollup))
    sql, exclusions, split = _COMPILED.get(plan, source)
    cursor = store.con.execute(sql, [workspace])
    if split is None:
        data = _json_rows(cursor.description, cursor.fetchall())
    else:
        data = _json_records(*split.rows(cursor.fetchall()), keys=len(split.keys))
    metadata = _metadata(store, plan, source, workspace, exclusions, data_version)
    metadata["sql"] = sql
    metadata["row_count"] = len(data)
    metadata["query_time"] = time.perf_counter() - started
    return QueryResult(data, metadata)


def _metadata(
    store: Store,
    plan: QueryPlan,
    source: Source,
    workspace: str,
    exclusions: str | None,
    version: int,
) -> dict[str, Any]:
    known = _FACTS.scope(store, workspace, version)
    range_rows, grain_rows = known.get(exclusions, lambda: _excluded(store, exclusions, workspace))
    last = known.get("last_load", lambda: store.last_load_at(workspace))
    first_day, last_day = known.get(
        f"data_span:{plan.table}", lambda: _data_span(store, plan.table, workspace)
    )
    return {
        "query_time": 0.0,
        "row_count": 0,
        "rollup": source.rollup,
        "source": source.table,
        "shape": plan.shape,
        "data_version": version,
        "last_load": last.isoformat() if last is not None else None,
        "range_rows_excluded": {
            "count": range_rows,
            "reason": _range_reason(plan) if range_rows else None,
        },
        "grain_rows_excluded": {
            "count": grain_rows,
            "reason": _grain_reason(plan) if grain_rows else None,
        },
        "timezone": plan.timezone,
        "granularity": plan.granularity.name if plan.granularity else None,
        "week_start": WEEKDAYS[plan.first_weekday],
        "time_range": plan.time_range.to_json() if plan.time_range else None,
        "compare_range": plan.compare_range.to_json() if plan.compare_range else None,
        "data_span": {
            "first_day": first_day.isoformat() if first_day else None,
            "last_day": last_day.isoformat() if last_day else None,
        },
        "compare_covered": _compare_covered(plan, first_day),
        "annotation": _annotation(plan),
    }


def _data_span(store: Store, table: str, workspace: str) -> tuple[date | None, date | None]:
    """First and last day with dated rows (day or hour rows; range rows aside)."""
    if table == "events":
        day, dated = "CAST(ts AS DATE)", ""
    else:
        day, dated = "date", " AND grain <> 'range'"
    row = store.con.execute(
        f"SELECT min({day}), max({day}) FROM {table} WHERE workspace = ?{dated}", [workspace]
    ).fetchall()[0]
    return row[0], row[1]


def _compare_covered(plan: QueryPlan, first_day: date | None) -> bool | None:
    """Whether the data reaches back to the comparison period's first day (None: no compare).

    A comparison period that starts before the first loaded day holds less data than the
    current one, and its change reads as growth that never happened.
    """
    if plan.compare_range is None:
        return None
    return first_day is not None and first_day <= plan.compare_range.start.date()


def _excluded(store: Store, exclusions: str | None, workspace: str) -> tuple[int, int]:
    if exclusions is None:
        return 0, 0
    row = store.con.execute(exclusions, [workspace]).fetchall()[0]
    return int(row[0] or 0), int(row[1] or 0)


class _Scope:
    """Facts about one workspace at one data version, computed once each."""

    def __init__(self) -> None:
        self._values: dict[str | None, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: str | None, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                return cast(T, self._values[key])
        value = compute()
        with self._lock:
            if len(self._values) < 1024:
                self._values[key] = value
        return value


class _DataFacts:
    """Answers that change only when the data does: the counts of rows a query leaves out
    and the last load time, per store file, workspace and data version.

    The data version grows with every change to a workspace's data, so an entry can never
    be stale: a new version is a new scope. Only the latest scopes are kept.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._scopes: OrderedDict[tuple[str, str, int], _Scope] = OrderedDict()
        self._lock = threading.Lock()

    def scope(self, store: Store, workspace: str, version: int) -> _Scope:
        key = (str(store.path), workspace, version)
        if key[0] in ("", ":memory:"):
            return _Scope()  # no file to name it by: nothing is kept
        with self._lock:
            found = self._scopes.get(key)
            if found is None:
                found = self._scopes[key] = _Scope()
                if len(self._scopes) > self.size:
                    self._scopes.popitem(last=False)
            else:
                self._scopes.move_to_end(key)
            return found


_FACTS = _DataFacts()


_Compiled = tuple[str, str | None, Split | None]


class _CompiledPlans:
    """The DuckDB SQL of recent plans (query and exclusion counts, and the ``Split`` that
    finishes the measures when the query returns aggregates), by fingerprint and source.

    Generating SQL from the AST costs about as much as a small query on a rollup, and
    dashboards send the same few queries again and again (uncached only after a load).
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._sql: OrderedDict[tuple[str, Source], _Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, plan: QueryPlan, source: Source) -> _Compiled:
        key = (plan.fingerprint(), source)
        with self._lock:
            known = self._sql.get(key)
            if known is not None:
                self._sql.move_to_end(key)
                return known
        split = compile_split(plan, source)
        query = (compile_plan(plan, source) if split is None else split.query).sql(
            dialect="duckdb", copy=False
        )
        counts = compile_exclusions(plan, source)
        exclusions = None if counts is None else counts.sql(dialect="duckdb", copy=False)
        compiled = (query, exclusions, split)
        with self._lock:
            self._sql[key] = compiled
            if len(self._sql) > self.size:
                self._sql.popitem(last=False)
        return compiled


_COMPILED = _CompiledPlans()


def _range_reason(plan: QueryPlan) -> str:
    if plan.granularity is not None:
        weeks = ""
        if plan.granularity.name == "week":
            start = WEEKDAYS[plan.first_weekday].capitalize()
            weeks = f" (weeks here start on {start}: set weekStart to match a weekly export's)"
        return (
            "their reporting period (an export without a per-day breakdown) does not lie "
            f"within one {plan.granularity.name} of the query's range{weeks}, and a period is "
            "never spread over buckets; query a coarser granularity, or none, to count them, "
            "or re-export with a Day breakdown"
        )
    return (
        "their reporting period is not wholly inside the query's time range (or its bounds "
        "are unknown); widen the range to cover it, or re-export with a Day breakdown"
    )


def _grain_reason(plan: QueryPlan) -> str:
    assert plan.granularity is not None
    size = plan.granularity.seconds
    grains = " and ".join(g for g, seconds in GRAIN_SECONDS.items() if seconds > size)
    return (
        f"{grains} rows cannot be split into {plan.granularity.name} buckets; ask for a "
        "coarser granularity to count them"
    )


def _annotation(plan: QueryPlan) -> dict[str, dict[str, Any]]:
    notes: dict[str, dict[str, Any]] = {}
    if plan.time_key and plan.granularity:
        notes[plan.time_key] = {"type": "time", "granularity": plan.granularity.name}
    for d in plan.dimensions:
        notes[d.key] = {"type": "dimension", "description": d.dimension.description}
    for m in plan.measures:
        notes[m.key] = {
            "type": "measure",
            "measure": m.measure.name,
            "format": m.measure.format,
            "platforms": list(m.platforms) if m.platforms else None,
        }
        if plan.compare:
            notes[f"{m.key}_previous"] = {"type": "previous", "format": m.measure.format}
            notes[f"{m.key}_change"] = {"type": "change", "format": "percent"}
    for key in plan.share:
        notes[f"{key}_share"] = {"type": "share", "format": "percent"}
    return notes


def _json_rows(description: Any, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as dicts of JSON-safe values; the numeric columns rounded in one ``significant`` call
    (numpy's cost is per call, not per value)."""
    names = [d[0] for d in description]
    columns: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)]
    numeric = {i for i, d in enumerate(description) if str(d[1]).startswith(_FLOATING)}
    if rows and numeric:
        rounded = significant([v for i in sorted(numeric) for v in columns[i]])
        for n, i in enumerate(sorted(numeric)):
            columns[i] = rounded[n * len(rows) : (n + 1) * len(rows)]
    for i, column in enumerate(columns):
        kind = str(description[i][1])
        if i in numeric or kind in _AS_IS:
            continue
        if kind.startswith(("DATE", "TIMESTAMP")):
            columns[i] = [None if v is None else v.isoformat() for v in column]
        else:
            columns[i] = [_json_value(v) for v in column]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


# DuckDB types whose Python values are JSON as they are (a 450-row series spent half its
# conversion time asking each text and integer value whether it was a date).
_AS_IS = frozenset(
    {"VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def _json_records(names: list[str], rows: list[list[Any]], keys: int = 0) -> list[dict[str, Any]]:
    """Rows of raw values (``keys`` group key columns first, then measures) as dicts of
    JSON-safe values: every non-integer measure value rounded in one ``significant`` call,
    integers exact; keys (dates, times, text) as ``_json_value`` makes them."""
    if not rows:
        return []
    columns = [list(c) for c in zip(*rows, strict=True)]
    for i in range(keys):
        columns[i] = [_json_value(v) for v in columns[i]]
    inexact = [
        (i, r)
        for i in range(keys, len(columns))
        for r, v in enumerate(columns[i])
        if isinstance(v, _INEXACT)
    ]
    rounded = significant([columns[i][r] for i, r in inexact])
    for (i, r), value in zip(inexact, rounded, strict=True):
        columns[i][r] = value
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


_INEXACT = (float, Decimal)
_FLOATING = ("DOUBLE", "FLOAT", "DECIMAL")  # DuckDB type names of result columns


def _json_value(value: object) -> object:
    if isinstance(value, (float, Decimal)):
        return significant([value])[0]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class _LazyCustom(Mapping[str, CustomDefinition]):
    """The workspace's custom metrics, read on first use (built-in-only queries never read)."""

    def __init__(self, store: Store, workspace: str) -> None:
        self._store = store
        self._workspace = workspace
        self._loaded: dict[str, CustomDefinition] | None = None

    def _all(self) -> dict[str, CustomDefinition]:
        if self._loaded is None:
            self._loaded = load_custom(self._store, self._workspace)
        return self._loaded

    def __getitem__(self, name: str) -> CustomDefinition:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
