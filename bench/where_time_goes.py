"""Where a load's or a dashboard query's time goes: the breakdown behind bench/RESULTS.md.

``ingest FILE``: loads FILE into a fresh store in process and lists the SQL statements that
took longest (everything the load sends to DuckDB passes through one timed connection),
with the time spent outside SQL (Python, detection, hashing) as the remainder.

``query``: for each query of ``bench/query.py`` (on its store, built by that script), the
median time of ``run_query`` uncached, of its SQL alone, and DuckDB's own split of one run
of that SQL into binding, optimizing and executing (its JSON profiler).

    python bench/where_time_goes.py ingest bench/data/google_ads_5M_seed42_v1.csv
    python bench/where_time_goes.py query --runs 50

Prints to stdout; writes nothing under bench/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from adlens.ingest import ingest_file  # noqa: E402
from adlens.query import run_query  # noqa: E402
from adlens.store import open_store  # noqa: E402


class TimedConnection:
    """A DuckDB connection that records how long each ``execute`` took."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.log: list[tuple[float, str]] = []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        started = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self.log.append((time.perf_counter() - started, " ".join(sql.split())))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def trace_ingest(path: Path, top: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="adlens-trace-") as tmp,
        open_store(Path(tmp) / "trace.duckdb") as store,
    ):
        timed = TimedConnection(store.con)
        store.con = timed  # type: ignore[assignment]
        started = time.perf_counter()
        report = ingest_file(store, path)
        total = time.perf_counter() - started
    in_sql = sum(seconds for seconds, _ in timed.log)
    print(f"{path}: {report.rows_loaded:,} rows loaded in {total:.2f} s")
    print(f"{'seconds':>8} {'share':>6}  statement")
    for seconds, sql in sorted(timed.log, reverse=True)[:top]:
        print(f"{seconds:8.3f} {seconds / total:6.1%}  {sql[:110]}")
    rest = len(timed.log) - top
    if rest > 0:
        others = sum(s for s, _ in sorted(timed.log, reverse=True)[top:])
        print(f"{others:8.3f} {others / total:6.1%}  ({rest} other statements)")
    outside = total - in_sql
    print(f"{outside:8.3f} {outside / total:6.1%}  outside SQL (Python, detection, hashing)")


def _median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _duckdb_split(con: duckdb.DuckDBPyConnection, sql: str, workdir: Path) -> dict[str, float]:
    """DuckDB's own profile of one run: milliseconds binding, optimizing, in all."""
    output = workdir / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{output}'")
    try:
        con.execute(sql, ["default"]).fetchall()
    finally:
        con.execute("PRAGMA disable_profiling")
    profile = json.loads(output.read_text())
    return {
        "bind": profile["planner"]["binding_time"] * 1000,
        "optimize": profile["optimizer"]["total_time"] * 1000,
        "total": profile["query"]["total_time"] * 1000,
    }


def trace_queries(runs: int) -> None:
    import query as query_bench  # bench/query.py: its store and its queries

    shape = query_bench.Shape(campaigns=2000, ads=12, hourly_ads=4)
    path = query_bench.DATA_DIR / f"query_{shape.name}.duckdb"
    if not path.exists():
        sys.exit(f"{path} does not exist: run bench/query.py once to build it")
    print(
        f"{'query':<24} {'run_query':>9} {'its SQL':>8} {'bind':>6} {'optimize':>8} "
        f"{'DuckDB':>7}  (ms; bind/optimize/DuckDB: one profiled run)"
    )
    with tempfile.TemporaryDirectory(prefix="adlens-trace-") as tmp, open_store(path) as store:
        for case in query_bench.CASES:
            # The SQL the engine runs (the sums alone, when it finishes measures in Python).
            sql = run_query(store, case.request, now=query_bench.NOW).metadata["sql"]
            engine = _median_ms(
                lambda c=case: run_query(store, c.request, now=query_bench.NOW), runs
            )
            alone = _median_ms(lambda s=sql: store.con.execute(s, ["default"]).fetchall(), runs)
            split = _duckdb_split(store.con, sql, Path(tmp))
            print(
                f"{case.name:<24} {engine:9.2f} {alone:8.2f} {split['bind']:6.2f} "
                f"{split['optimize']:8.2f} {split['total']:7.2f}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="time each SQL statement of one load")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--top", type=int, default=12, help="statements to list")
    query = commands.add_parser("query", help="split bench/query.py's queries by phase")
    query.add_argument("--runs", type=int, default=50, help="runs per median")
    args = parser.parse_args(argv)
    if args.command == "ingest":
        trace_ingest(args.file, args.top)
    else:
        trace_queries(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
