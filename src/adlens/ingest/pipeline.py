"""The ingest pipeline: a short, declared sequence of stages.

    open_source -> detect -> (settle date order) -> load in one transaction:
        insert clean rows -> keep rejects -> fix line numbers -> drop in-file duplicates
        -> replace restated days -> convert currency -> check totals -> score quality

Everything inside the transaction is stored together or not at all; a process
killed half-way leaves the store exactly as it was.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from adlens import fx
from adlens.errors import AdlensError, UnreadableFileError
from adlens.ingest import checks, quality, restate
from adlens.ingest.clean import MEASURES, Lineage, check_columns, clean_query
from adlens.ingest.detect import Rows, detect
from adlens.ingest.mapping import Mapping
from adlens.ingest.plan import Plan
from adlens.ingest.read import csv_errors, csv_relation, drop_csv_errors, register_rows
from adlens.ingest.report import IngestReport
from adlens.ingest.source import TextFile, Workbook, open_source
from adlens.schema import FACT_COLUMNS, SESSION_COLUMNS
from adlens.settings import Settings, get_settings
from adlens.store import Store
from adlens.store.db import connect, fetch_one

Progress = Callable[[float], None]


def inspect_file(path: Path, mapping: Mapping | None = None, preview: int = 10) -> dict[str, Any]:
    """What ``ingest`` would do with ``path``, and a preview of its clean rows; writes nothing."""
    con = connect()
    with tempfile.TemporaryDirectory(prefix="adlens-") as tmp:
        source = open_source(path, Path(tmp))
        plan, rows = detect(source, mapping)
        _settle_date_order(con, plan, source, rows)
        relation, line_expr = _relation(con, plan, source, rows)
        lineage = Lineage(0, "preview", path.name, get_settings().reporting_currency)
        query = clean_query(plan, relation, lineage, line_expr=line_expr)
        cur = con.execute(
            f"SELECT * EXCLUDE (_blank, _raw) FROM ({query}) WHERE NOT _blank LIMIT {preview}"
        )
        names = [d[0] for d in cur.description]
        keep = [n for n in names if not n.startswith(("_other_", "_example_", "_off_"))]
        clean = [
            {k: _jsonable(v) for k, v in zip(names, row, strict=True) if k in keep}
            for row in cur.fetchall()
        ]
    info = plan.describe()
    info["encoding"] = source.encoding if isinstance(source, TextFile) else "xlsx"
    info["bytes"] = source.size
    info["lines"] = source.line_count if isinstance(source, TextFile) else None
    info["preview"] = clean
    return info


def ingest_file(
    store: Store,
    path: Path,
    *,
    mapping: Mapping | None = None,
    workspace: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load one export into the store: all of it, or (on any error) none of it."""
    settings = settings or get_settings()
    workspace = workspace or settings.workspace
    started = datetime.now(UTC)
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="adlens-") as tmp:
        source = open_source(path, Path(tmp))
        plan, rows = detect(source, mapping)
        report = IngestReport(
            file=str(path), status="loaded", platform=plan.platform, target_table=plan.target
        )
        report.detection = plan.describe()
        previous = fetch_one(
            store.con,
            "SELECT max(ingest_id) FROM ingests WHERE workspace = ? AND file_hash = ? "
            "AND status = 'loaded'",
            [workspace, source.sha256],
        )
        if previous[0] is not None:
            report.status, report.duplicate_of = "duplicate", int(previous[0])
            report.warnings.append(
                f"this file was already loaded as ingest {previous[0]}; nothing was added"
            )
            return report
        _settle_date_order(store.con, plan, source, rows)
        store.con.execute(f"SET memory_limit = '{settings.memory_limit}'")
        for parallel in (True, False):
            try:
                _load(
                    store,
                    plan,
                    source,
                    rows,
                    report,
                    workspace,
                    settings,
                    started,
                    parallel,
                    progress,
                )
                break
            except duckdb.Error as exc:
                if parallel and "parallel=false" in str(exc):
                    continue  # quoted line breaks: DuckDB reads those files serially
                raise UnreadableFileError(
                    f"{path}: could not be read: {str(exc).splitlines()[0]}",
                    where={"file": str(path)},
                ) from exc
    report.seconds = round(time.perf_counter() - clock, 3)
    return report


def _load(
    store: Store,
    plan: Plan,
    source: TextFile | Workbook,
    rows: Rows | None,
    report: IngestReport,
    workspace: str,
    settings: Settings,
    started: datetime,
    parallel: bool,
    progress: Progress | None,
) -> None:
    con = store.con
    drop_csv_errors(con)
    with store.transaction():
        ingest_id = int(fetch_one(con, "SELECT nextval('ingest_id_seq')")[0])
        lineage = Lineage(ingest_id, workspace, source.path.name, settings.reporting_currency)
        relation, line_expr = _relation(con, plan, source, rows, parallel=parallel)
        query = clean_query(plan, relation, lineage, line_expr=line_expr)
        columns = ", ".join(FACT_COLUMNS if plan.target == "ad_performance" else SESSION_COLUMNS)
        loaded = _run(
            con,
            f"INSERT INTO {plan.target} ({columns}) SELECT {columns} FROM ({query}) "
            "WHERE _reason IS NULL AND NOT _blank",
            progress,
        )
        profile = _profile(con, plan, query)
        if profile["rejected"]:
            con.execute(
                "INSERT INTO rejects SELECT ?, ?, ?, source_row, _raw, _reason "
                f"FROM ({query}) WHERE _reason IS NOT NULL AND NOT _blank",
                [ingest_id, workspace, source.path.name],
            )
        errors = csv_errors(con) if rows is None else []
        if isinstance(source, TextFile) and plan.layout and rows is None:
            footer = set(plan.layout.footer_lines)
            errors = [e for e in errors if e[0] not in footer]
            _fix_line_numbers(con, plan, source, ingest_id, [e[0] for e in errors])
        for line, raw, reason in errors:
            con.execute(
                "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?)",
                [ingest_id, workspace, source.path.name, line, raw, reason],
            )
        duplicates = checks.drop_exact_duplicates(con, plan.target, ingest_id, workspace)
        report.ingest_id = ingest_id
        report.rows_loaded = int(loaded) - duplicates
        report.rows_rejected = int(profile["rejected"]) + len(errors) + duplicates
        report.rows_read = int(profile["records"]) + len(errors)
        report.rows_blank = int(profile["blank"])
        if report.rows_loaded == 0:
            first = checks.first_rejects(con, ingest_id, 5)
            reasons = "; ".join(f"line {r['source_row']}: {r['reason']}" for r in first)
            raise UnreadableFileError(
                f"{source.path}: none of its {report.rows_read} rows could be loaded"
                + (f" ({reasons})" if reasons else ""),
                hint="check the rows named above; nothing was stored",
                where={"file": str(source.path)},
            )
        restated = restate.replace_restated(con, plan.target, ingest_id, workspace, plan.platform)
        report.rows_replaced, report.rows_changed, report.days_restated = restated
        if plan.target == "ad_performance":
            report.warnings += fx.convert(con, settings.reporting_currency, ingest_id)
        report.totals_check = checks.check_totals(con, plan, ingest_id, rows, profile)
        report.first_rejects = checks.first_rejects(con, ingest_id, 10)
        span = fetch_one(
            con,
            f"SELECT min(coalesce(date, period_start)), max(coalesce(date, period_end)) "
            f"FROM {plan.target} WHERE ingest_id = ?",
            [ingest_id],
        )
        report.period_start = str(span[0]) if span and span[0] else None
        report.period_end = str(span[1]) if span and span[1] else None
        report.warnings += plan.notes
        report.quality = quality.score(con, plan, report, profile, duplicates)
        _record(con, plan, source, report, workspace, started)


def _relation(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    source: TextFile | Workbook,
    rows: Rows | None,
    *,
    parallel: bool = True,
) -> tuple[str, str]:
    if rows is not None:
        return register_rows(con, rows), "_line"
    assert isinstance(source, TextFile) and plan.layout is not None
    return csv_relation(plan, source, parallel=parallel), f"{plan.layout.first_data_line} + _rn - 1"


def _run(con: duckdb.DuckDBPyConnection, sql: str, progress: Progress | None) -> int:
    """Run one statement, reporting DuckDB's own progress estimate while it runs."""
    if progress is None:
        row = fetch_one(con, sql)
        return int(row[0]) if row else 0
    import threading

    done = threading.Event()
    result: list[Any] = []

    def work() -> None:
        try:
            row = fetch_one(con, sql)
            result.append(int(row[0]) if row else 0)
        except BaseException as exc:  # re-raised in the calling thread
            result.append(exc)
        finally:
            done.set()

    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    while not done.wait(0.2):
        try:
            percent = con.query_progress()
        except duckdb.Error:
            continue
        if percent is not None and percent >= 0:
            progress(min(float(percent), 100.0))
    thread.join()
    con.execute("SET enable_progress_bar = false")
    if isinstance(result[0], BaseException):
        raise result[0]
    progress(100.0)
    return int(result[0])


def _profile(con: duckdb.DuckDBPyConnection, plan: Plan, query: str) -> dict[str, Any]:
    """Counts and check flags over every row of the file (one more streaming pass)."""
    flags = check_columns(plan)
    parts = [
        "count(*) FILTER (WHERE NOT _blank) AS records",
        "count(*) FILTER (WHERE _blank) AS blank",
        "count(*) FILTER (WHERE _reason IS NOT NULL AND NOT _blank) AS rejected",
    ]
    stored = FACT_COLUMNS if plan.target == "ad_performance" else SESSION_COLUMNS
    for measure in MEASURES[plan.target]:
        column = "spend_original" if measure == "spend" else measure
        if plan.column(measure) and column in stored:
            parts.append(
                f"sum({column}) FILTER (WHERE _reason IS NOT NULL AND NOT _blank) "
                f"AS _rejected_{measure}"
            )
    for flag in flags:
        if flag.startswith("_example_"):
            parts.append(f"min({flag}) AS {flag}")
        else:
            parts.append(f"count(*) FILTER (WHERE {flag} AND _reason IS NULL) AS {flag}")
    cur = con.execute(f"SELECT {', '.join(parts)} FROM ({query})")
    names = [d[0] for d in cur.description]
    row = cur.fetchall()[0]
    return dict(zip(names, row, strict=True))


def _fix_line_numbers(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    source: TextFile,
    ingest_id: int,
    error_lines: list[int],
) -> None:
    """Shift ``source_row`` past lines DuckDB skipped (blank lines, unreadable lines)."""
    assert plan.layout is not None
    last = min(plan.layout.footer_lines, default=source.line_count + 1)
    skipped = sorted(
        {n for n in source.blank_lines if plan.layout.header_line < n < last} | set(error_lines)
    )
    if not skipped:
        return
    # Row k (1-based) lands after skipped line s_j when its unshifted line >= s_j - j.
    thresholds = ", ".join(f"({s - j}, {j + 1})" for j, s in enumerate(skipped))
    for table in (plan.target, "rejects"):
        con.execute(
            f"""
            UPDATE {table} SET source_row = {table}.source_row + shift.n
            FROM (
                SELECT f.source_row AS line, t.n
                FROM (SELECT source_row FROM {table} WHERE ingest_id = ?) f
                ASOF JOIN (SELECT * FROM (VALUES {thresholds}) v(from_line, n)) t
                ON f.source_row >= t.from_line
            ) shift
            WHERE {table}.ingest_id = ? AND {table}.source_row = shift.line
            """,
            [ingest_id, ingest_id],
        )


def _settle_date_order(
    con: duckdb.DuckDBPyConnection, plan: Plan, source: TextFile | Workbook, rows: Rows | None
) -> None:
    """When the sampled dates fit both D/M and M/D, look at every date in the file."""
    fmt = plan.date_format
    if not fmt or not fmt.ambiguous or rows is not None or not isinstance(source, TextFile):
        return
    columns = [plan.column(n) for n in ("date", "period_start", "period_end") if plan.column(n)]
    relation = csv_relation(plan, source)
    parts = []
    for column in columns:
        for position in (1, 2):
            part = f"try_cast(regexp_extract({column}, '^(\\d+)\\D(\\d+)', {position}) AS INTEGER)"
            parts.append(f"max({part})")
    row = fetch_one(con, f"SELECT {', '.join(parts)} FROM {relation}")
    drop_csv_errors(con)
    if not row:
        return
    firsts, seconds = [v for v in row[0::2] if v], [v for v in row[1::2] if v]
    from adlens.ingest.values import DateFormat, _twin, human_format

    primary = fmt.formats[0]
    day_first = primary.startswith("%d")
    if any(v > 12 for v in firsts):
        decided = primary if day_first else _twin(primary)
    elif any(v > 12 for v in seconds):
        decided = _twin(primary) if day_first else primary
    else:
        return  # still ambiguous: keep the platform's default and its note
    plan.date_format = DateFormat([decided, *fmt.formats[1:]])
    plan.notes = [n for n in plan.notes if n != fmt.note]
    plan.notes.append(f"dates read as {human_format(decided)}, decided from the whole file")


def _record(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    source: TextFile | Workbook,
    report: IngestReport,
    workspace: str,
    started: datetime,
) -> None:
    import json

    con.execute(
        f"INSERT INTO ingests VALUES ({', '.join(['?'] * 7)}, 'loaded', {', '.join(['?'] * 13)})",
        [
            report.ingest_id,
            workspace,
            str(source.path),
            source.sha256,
            source.size,
            plan.platform,
            plan.target,
            started,
            datetime.now(UTC),
            report.rows_read,
            report.rows_loaded,
            report.rows_rejected,
            report.rows_replaced,
            report.rows_changed,
            report.period_start,
            report.period_end,
            report.quality.get("score"),
            json.dumps(report.quality),
            json.dumps(report.detection, default=str),
            json.dumps({"warnings": report.warnings, "totals_check": report.totals_check}),
        ],
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


__all__ = ["AdlensError", "IngestReport", "ingest_file", "inspect_file"]
