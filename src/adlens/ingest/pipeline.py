"""The ingest pipeline: a short, declared sequence of stages.

    open_source -> detect -> settle date order -> stage (one pass over the file)
    -> in one transaction: copy clean rows with their lines and channels -> keep rejects
       -> drop in-file duplicates -> replace restated days -> convert currency
       -> check the file's totals -> score quality -> record the ingest
       -> map new campaign names

Everything inside the transaction is stored together or not at all; a process
killed half-way leaves the store exactly as it was.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from adlens import consolidate, fx, words
from adlens.errors import UnreadableFileError
from adlens.ingest import channel, checks, quality, restate
from adlens.ingest.checks import LINEAGE
from adlens.ingest.clean import (
    EXTRA,
    MEASURES,
    Lineage,
    clean_query,
    copied_outputs,
    profile_aggregates,
    ratio_sample_query,
    unmapped_cells,
    without_ratios,
)
from adlens.ingest.detect import Rows, detect
from adlens.ingest.mapping import Mapping
from adlens.ingest.plan import Plan
from adlens.ingest.read import csv_errors, csv_relation, drop_csv_errors, rows_relation
from adlens.ingest.report import IngestReport
from adlens.ingest.source import (
    TextFile,
    lines_within_records,
    open_source,
    read_lines,
)
from adlens.ingest.values import settle_date_order
from adlens.schema import DATE_FIELDS, FACT_COLUMNS, SESSION_COLUMNS
from adlens.settings import Settings, get_settings
from adlens.store import Store
from adlens.store.db import bump_data_version, connect, fetch_one
from adlens.store.rollups import finer_than_groups, refresh_rollups

Progress = Callable[[float], None]
STAGE = "_adlens_stage"
SKIPS = "_adlens_skips"


def inspect_file(
    path: Path, mapping: Mapping | None = None, preview: int = 10, *, member: str | None = None
) -> dict[str, Any]:
    """What ``ingest`` would do with ``path`` (or with ``member``, an export in a ZIP archive
    of several), and a preview of its clean rows; writes nothing."""
    con = connect()
    with tempfile.TemporaryDirectory(prefix="adlens-") as tmp:
        source = open_source(path, Path(tmp), member=member)
        plan, rows = detect(source, mapping)
        _settle_date_order(con, plan, source, rows)
        relation, line_expr = _relation(plan, source, rows, Path(tmp))
        lineage = Lineage(0, "preview", source.name, get_settings().reporting_currency)
        query = clean_query(plan, relation, lineage, line_expr=line_expr)
        cur = con.execute(
            f"SELECT * EXCLUDE (_blank, _raw) FROM ({query}) WHERE NOT _blank LIMIT {preview}"
        )
        names = [d[0] for d in cur.description]
        keep = [n for n in names if n not in ("_flags", "_examples", channel.CAMPAIGN_TYPE)]
        clean = []
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            key = tuple(row.get(k) for k in channel.KEYS[plan.target])
            row["channel"] = row.get("channel") or channel.channel_of(plan.target, key)
            clean.append({k: _jsonable(v) for k, v in row.items() if k in keep})
    info = _described(plan, source)
    info["preview"] = clean
    return info


def _described(plan: Plan, source: TextFile) -> dict[str, Any]:
    """What was detected (``Plan.describe``) and what the file is."""
    info = plan.describe()
    info["encoding"] = source.encoding
    info["bytes"] = source.size
    info["lines"] = source.line_count
    if source.archive:
        info["archive"] = source.archive
        info["member"] = source.member
    return info


def ingest_file(
    store: Store,
    path: Path,
    *,
    mapping: Mapping | None = None,
    workspace: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    max_unpacked: int | None = None,
    member: str | None = None,
) -> IngestReport:
    """Load one export into the store: all of it, or (on any error) none of it.

    ``today`` is the day data freshness is judged against (default: the current day);
    ``max_unpacked`` the most bytes a compressed file may unpack to (None: no limit);
    ``member`` the export to load from a ZIP archive that holds several (each of them
    loads on its own: ``source.archive_exports`` lists them).
    """
    settings = settings or get_settings()
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="adlens-") as tmp:
        source = open_source(path, Path(tmp), max_unpacked=max_unpacked, member=member)
        plan, rows = detect(source, mapping)
        report = IngestReport(
            file=source.location, status="loaded", platform=plan.platform, target_table=plan.target
        )
        report.detection = _described(plan, source)
        load = Load(
            store,
            plan,
            source,
            rows,
            report,
            settings,
            workspace or settings.workspace,
            Path(tmp),
            today,
        )
        previous = _loaded_before(store, load.workspace, source)
        if previous is not None:
            report.status, report.duplicate_of = "duplicate", previous
            report.warnings.append(
                f"this file was already loaded as ingest {previous}; nothing was added"
            )
            return report
        _settle_date_order(store.con, plan, source, rows)
        store.con.execute(f"SET memory_limit = '{settings.memory_limit}'")
        try:
            try:
                load.stage(progress, parallel=True)
            except duckdb.Error as exc:
                if "parallel=false" not in str(exc):
                    raise
                load.stage(progress, parallel=False)  # quoted line breaks: read serially
            load.commit()
        except duckdb.Error as exc:
            raise _unreadable(Path(source.location), exc) from exc
        finally:
            load.clean_up()
    if settings.detect_after_load:  # after the commit: detection can never undo the load
        from adlens.anomaly.hook import detect_after_load

        report.warnings += detect_after_load(store, load.workspace)
    report.seconds = round(time.perf_counter() - clock, 3)
    return report


def _loaded_before(store: Store, workspace: str, source: TextFile) -> int | None:
    """The ingest that already loaded this exact content, if any.

    Only files of the same size can match, so the (background) hash is awaited
    only when one exists.
    """
    same_size = fetch_one(
        store.con,
        "SELECT count(*) FROM ingests WHERE workspace = ? AND file_bytes = ? AND status = 'loaded'",
        [workspace, source.size],
    )[0]
    if not same_size:
        return None
    previous = fetch_one(
        store.con,
        "SELECT max(ingest_id) FROM ingests WHERE workspace = ? AND file_hash = ? "
        "AND status = 'loaded'",
        [workspace, source.sha256],
    )[0]
    return None if previous is None else int(previous)


def _unreadable(path: Path, exc: Exception) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path}: could not be read: {str(exc).splitlines()[0]}", where={"file": str(path)}
    )


@dataclass
class Load:
    """One file on its way into the store."""

    store: Store
    plan: Plan
    source: TextFile
    rows: Rows | None
    report: IngestReport
    settings: Settings
    workspace: str
    workdir: Path
    today: date | None = None  # judge freshness as of this day (default: today)

    def __post_init__(self) -> None:
        self.con = self.store.con
        self.started = datetime.now(UTC)
        self.lineage = Lineage(0, self.workspace, self.source.name, "")
        self.staged_plan = without_ratios(self.plan)
        self.relation = ""

    def stage(self, progress: Progress | None, *, parallel: bool) -> None:
        """One pass over the file: every row, cleaned, in file order (rowid = row index).

        The stage is a scratch table written outside the load transaction, so its
        rowids start at 0. It lives in the database file (compressed, so memory stays
        bounded whatever the file's size) and is dropped when the load ends, or when
        the store is next opened if the process died.
        """
        con = self.con
        drop_csv_errors(con)
        # One id per load, also when the file is read again serially (quoted line breaks).
        ingest_id = self.lineage.ingest_id or int(
            fetch_one(con, "SELECT nextval('ingest_id_seq')")[0]
        )
        self.lineage = Lineage(
            ingest_id, self.workspace, self.source.name, self.settings.reporting_currency
        )
        relation, _ = _relation(self.plan, self.source, self.rows, self.workdir, parallel=parallel)
        self.relation = relation
        query = clean_query(
            self.staged_plan,
            relation,
            self.lineage,
            line_expr="_line" if self.rows else "NULL",
            staged=True,
        )
        con.execute("SET preserve_insertion_order = true")
        _run(con, f"CREATE OR REPLACE TABLE {STAGE} AS {query}", progress)

    def clean_up(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.con.execute(f"DROP TABLE IF EXISTS {SKIPS}")
        channel.drop(self.con)
        self.con.execute("RESET preserve_insertion_order")

    def commit(self) -> None:
        """Move the staged file into the store, checked and scored, in one transaction."""
        con, plan, report = self.con, self.plan, self.report
        ingest_id = self.lineage.ingest_id
        # Rows now carry their line, so order no longer matters; letting DuckDB write
        # in parallel also spares the checkpoint from rewriting the new row groups.
        con.execute("SET preserve_insertion_order = false")
        with self.store.transaction():
            errors = csv_errors(con) if self.rows is None else []
            line, staged = self._line_numbers(errors)
            loaded = self._copy(line, staged)
            if plan.column("channel_group"):
                unknown = channel.unknown_groups(con, STAGE)
                if unknown:
                    report.warnings.append(
                        "channel groups that are not GA4's default channel group: "
                        f"{', '.join(map(repr, unknown))}; rows with a source / medium are "
                        "grouped by adlens, the others keep the exported name (export with "
                        "English names to match the other platforms)"
                    )
            profile = _profile(con, self.staged_plan, self.lineage)
            sample = ratio_sample_query(plan, self.relation, self.lineage)
            if sample:
                cur = con.execute(sample)
                names = [d[0] for d in cur.description]
                profile |= dict(zip(names, cur.fetchall()[0], strict=True))
            duplicates = 0
            if profile["_repeated"]:
                duplicates = checks.drop_exact_duplicates(
                    con,
                    plan.target,
                    ingest_id,
                    self.workspace,
                    self._repeats(line, staged),
                    self._read_lines,
                )
            report.ingest_id = ingest_id
            report.rows_loaded = loaded - duplicates
            report.rows_rejected = int(profile["rejected"]) + len(errors) + duplicates
            report.rows_read = int(profile["records"]) + len(errors)
            report.rows_blank = int(profile["blank"])
            self._refuse_empty()
            restated = restate.replace_restated(
                con, plan.target, ingest_id, self.workspace, plan.platform
            )
            report.rows_replaced, report.rows_changed, report.days_restated = restated
            if plan.target == "ad_performance":
                report.warnings += fx.convert(con, self.settings.reporting_currency, ingest_id)
            report.totals_check = checks.check_totals(con, plan, ingest_id, profile)
            self._settle_overlaps()
            # Pre-aggregates of the days this load touched, in the same transaction.
            refresh_rollups(
                con,
                plan.target,
                ingest_id,
                self.workspace,
                replaced=report.rows_replaced > 0,
                aggregate=finer_than_groups(plan.mapping),
            )
            report.first_rejects = checks.first_rejects(con, ingest_id, 10)
            span = fetch_one(
                con,
                f"SELECT min(coalesce(date, period_start)), max(coalesce(date, period_end)) "
                f"FROM {plan.target} WHERE ingest_id = ?",
                [ingest_id],
            )
            report.period_start = str(span[0]) if span[0] else None
            report.period_end = str(span[1]) if span[1] else None
            report.warnings += plan.notes
            report.quality = quality.score(con, plan, report, profile, duplicates, self.today)
            self._record()
            # New campaign names join their canonical campaigns with the rows that brought them.
            consolidate.refresh(con, self.workspace, ingest_id=ingest_id)
            bump_data_version(con, self.workspace)

    def _copy(self, line: str, staged: str) -> int:
        """Clean rows into the target table, the others into rejects; returns rows copied."""
        plan, con = self.plan, self.con
        names = [
            c
            for c in (FACT_COLUMNS if plan.target == "ad_performance" else SESSION_COLUMNS)
            if c != "source_row"
        ]
        copied = copied_outputs(self.staged_plan, self.lineage)
        staged_columns = {d[0] for d in con.execute(f"SELECT * FROM {STAGE} LIMIT 0").description}
        channel_sql, join = channel.channel_join(con, STAGE, plan.target, copied, staged_columns)
        if "channel" in staged_columns:  # the export has its own channel group
            channel_sql = channel.with_exported_group(channel_sql)
        values = [channel_sql if c == "channel" else copied.get(c, c) for c in names]
        loaded = fetch_one(
            con,
            f"INSERT INTO {plan.target} ({', '.join(names)}, source_row) "
            f"SELECT {', '.join(values)}, {line} {staged} {join} "
            "WHERE _reason IS NULL AND NOT _blank",
        )[0]
        where = [self.lineage.ingest_id, self.workspace, self.source.name]
        con.execute(
            f"INSERT INTO rejects SELECT ?, ?, ?, {line}, _raw, _reason {staged} "
            "WHERE _reason IS NOT NULL AND NOT _blank",
            where,
        )
        return int(loaded)

    def _line_numbers(self, errors: list[tuple[int, str, str]]) -> tuple[str, str]:
        """(line SQL, FROM clause) giving each staged row its line in the file.

        Rows read in Python carry their line. For DuckDB's reader, a row's line is
        the first data line plus its rowid, shifted past the lines the reader did
        not return as rows: blank lines, and lines it could not split into cells.
        Those lines are rejected with their own reason.
        """
        plan, source, con = self.plan, self.source, self.con
        if self.rows is not None or plan.layout is None:
            return "source_row", f"FROM {STAGE}"
        first = plan.layout.first_data_line
        last = min(plan.layout.footer_lines, default=source.line_count + 1) - 1
        footer = set(plan.layout.footer_lines)
        errors[:] = [e for e in errors if e[0] not in footer]
        for line, raw, reason in errors:
            con.execute(
                "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?)",
                [self.lineage.ingest_id, self.workspace, source.name, line, raw, reason],
            )
        staged = int(fetch_one(con, f"SELECT count(*) FROM {STAGE}")[0])
        if staged + len(errors) == last - first + 1:
            return f"({first} + {STAGE}.rowid)", f"FROM {STAGE}"  # every line is a row
        rejected = {e[0] for e in errors}
        skipped = sorted(set(lines_within_records(source.utf8_path, first, last)) | rejected)
        if staged != last - first + 1 - len(skipped):
            # Quotes that do not pair up (a literal " in an unquoted cell): count blank
            # lines only, as the reader does not span records there.
            blanks = lines_within_records(source.utf8_path, first, last, quotes=False)
            skipped = sorted(set(blanks) | rejected)
        if not skipped:
            return f"({first} + {STAGE}.rowid)", f"FROM {STAGE}"
        # The k-th skipped line s_k (0-based) precedes each row whose unshifted line >= s_k - k.
        # Consecutive skipped lines share that bound: the row after them shifts by them all.
        shifts = {s - k: k + 1 for k, s in enumerate(skipped)}
        con.execute(f"CREATE OR REPLACE TEMP TABLE {SKIPS} (from_line BIGINT, shift BIGINT)")
        con.executemany(f"INSERT INTO {SKIPS} VALUES (?, ?)", [list(p) for p in shifts.items()])
        return (
            f"({first} + _rid + coalesce(shift, 0))",
            f"FROM (SELECT *, rowid AS _rid FROM {STAGE}) ASOF LEFT JOIN {SKIPS} "
            f"ON {first} + _rid >= from_line",
        )

    def _settle_overlaps(self) -> None:
        """Rows of another granularity than stored ones for the same days (a summary
        export after a daily one, weeks after a month): never counted twice."""
        con, report, ingest_id = self.con, self.report, self.lineage.ingest_id
        found = restate.reconcile_granularities(
            con, self.plan.target, ingest_id, self.workspace, self.plan.platform
        )
        if found.covered and len(found.covered) == report.rows_loaded:
            loads = ", ".join(map(str, sorted(found.covering)))
            raise UnreadableFileError(
                f"{self.source.location}: nothing to add: every day its rows cover is already "
                f"loaded in finer rows (ingest {loads}); counting them too would double the "
                "totals",
                hint="load an export of other days, or with a finer breakdown; nothing was stored",
                where={"file": self.source.location},
            )
        if found.covered:
            text = self._read_lines([line for line, _ in found.covered])
            con.executemany(
                "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?)",
                [
                    [ingest_id, self.workspace, self.source.name, line, text.get(line), why]
                    for line, why in found.covered
                ],
            )
            report.rows_loaded -= len(found.covered)
            report.rows_rejected += len(found.covered)
        report.rows_replaced += found.superseded
        if found.superseded:
            report.warnings.append(
                f"{words.rows(found.superseded)} of older exports without this file's "
                "breakdown (range rows) replaced: this file has every one of their days"
            )
        if found.unbounded:
            report.warnings.append(
                "rows without a known period (All time) sit beside rows of the same account "
                f"or campaign from ingest {', '.join(map(str, found.unbounded))}: totals over "
                "all time count both; export a date range (or by Day) instead of All time"
            )
        if found.partial_lines or found.partial_stored:
            lines = ", ".join(map(str, found.partial_lines[:10]))
            lines += ", ..." if len(found.partial_lines) > 10 else ""
            stored = "; ".join(found.partial_stored[:5])
            stored += "; ..." if len(found.partial_stored) > 5 else ""
            report.warnings.append(
                f"rows of this file ({'lines ' + lines if lines else 'its finer rows'}) "
                f"overlap stored rows of another breakdown ({stored or 'finer rows'}) "
                "without either covering the other: totals over those days count both; "
                "load exports with the same breakdown (e.g. by Day) instead"
            )

    def _repeats(self, line: str, staged: str) -> list[tuple[int, int]]:
        """(line, first line) of each loaded row that repeats an earlier row of the file."""
        key = ", ".join(repeat_key(self.staged_plan, self.lineage))
        return [
            (int(r[0]), int(r[1]))
            for r in self.con.execute(
                f"SELECT _line, _first FROM (SELECT {line} AS _line, min({line}) OVER "
                f"(PARTITION BY {key}) AS _first {staged} WHERE _reason IS NULL AND NOT _blank) "
                "WHERE _line <> _first ORDER BY _line"
            ).fetchall()
        ]

    def _read_lines(self, numbers: list[int]) -> dict[int, str]:
        if self.rows is None:
            return read_lines(self.source.utf8_path, numbers)
        wanted = set(numbers)
        rows = self.rows.rows if self.rows else []
        delimiter = self.plan.layout.delimiter if self.plan.layout else ","
        return {line: delimiter.join(cells) for line, cells in rows if line in wanted}

    def _refuse_empty(self) -> None:
        """A file with no loadable row fails whole: there is nothing to load."""
        report, plan, path = self.report, self.plan, self.source.location
        if report.rows_read == 0:
            where = f"line {plan.layout.header_line}" if plan.layout else "the sheet"
            raise UnreadableFileError(
                f"{path}: has a header ({where}) but no data rows",
                hint="export the report again for a period that has data",
                where={"file": path},
            )
        if report.rows_loaded == 0:
            first = checks.first_rejects(self.con, self.lineage.ingest_id, 5)
            reasons = "; ".join(f"line {r['source_row']}: {r['reason']}" for r in first)
            raise UnreadableFileError(
                f"{path}: none of its {report.rows_read} rows could be loaded"
                + (f" ({reasons})" if reasons else ""),
                hint="fix the rows named above; nothing was stored",
                where={"file": str(path)},
            )

    def _record(self) -> None:
        report, source = self.report, self.source
        self.con.execute(
            f"INSERT INTO ingests VALUES ({', '.join(['?'] * 7)}, 'loaded', "
            f"{', '.join(['?'] * 13)})",
            [
                report.ingest_id,
                self.workspace,
                source.location,
                source.sha256,
                source.size,
                self.plan.platform,
                self.plan.target,
                self.started,
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


def _relation(
    plan: Plan,
    source: TextFile,
    rows: Rows | None,
    workdir: Path,
    *,
    parallel: bool = True,
) -> tuple[str, str]:
    """The raw relation to clean, and the SQL for a row's line number in it."""
    if rows is not None:
        return rows_relation(rows, workdir), "_line"
    assert plan.layout is not None
    return csv_relation(plan, source, parallel=parallel), f"{plan.layout.first_data_line} + _rn - 1"


def _run(con: duckdb.DuckDBPyConnection, sql: str, progress: Progress | None) -> None:
    """Run one statement, reporting DuckDB's own progress estimate while it runs."""
    if progress is None:
        con.execute(sql)
        return
    done = threading.Event()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)
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
    if failure:
        raise failure[0]
    progress(100.0)


def _profile(con: duckdb.DuckDBPyConnection, plan: Plan, lineage: Lineage) -> dict[str, Any]:
    """Counts, check flags and the rejected rows' sums, from the staged file."""
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
    parts += profile_aggregates(plan)
    cur = con.execute(f"SELECT {', '.join(parts)} FROM {STAGE}")
    names = [d[0] for d in cur.description]
    profile = dict(zip(names, cur.fetchall()[0], strict=True))
    # Exact repeats within the file: every stored value (constants aside) and every cell
    # no field reads.
    business = repeat_key(plan, lineage)
    profile["_repeated"] = fetch_one(
        con,
        f"SELECT count(*) FROM (SELECT hash({', '.join(business)}) AS h FROM {STAGE} "
        "WHERE _reason IS NULL AND NOT _blank GROUP BY h HAVING count(*) > 1)",
    )[0]
    return profile


def repeat_key(plan: Plan, lineage: Lineage) -> list[str]:
    """Staged columns equal on two rows exactly when the file repeats a row."""
    stored = FACT_COLUMNS if plan.target == "ad_performance" else SESSION_COLUMNS
    copied = copied_outputs(plan, lineage)
    key = [c for c in stored if c not in LINEAGE and c not in copied]
    return [*key, EXTRA] if unmapped_cells(plan) else key


def _settle_date_order(
    con: duckdb.DuckDBPyConnection, plan: Plan, source: TextFile, rows: Rows | None
) -> None:
    """When the sampled dates fit both D/M and M/D, look at every date in the file."""
    fmt = plan.date_format
    if not fmt or not fmt.ambiguous or rows is not None:
        return
    columns = [plan.column(n) for n in DATE_FIELDS if plan.column(n)]
    parts = [
        f"max(try_cast(regexp_extract({column}, '^(\\d+)\\D(\\d+)', {position}) AS INTEGER))"
        for position in (1, 2)
        for column in columns
    ]
    relation = csv_relation(plan, source, parallel=False)  # any file, quoted line breaks too
    row = fetch_one(con, f"SELECT {', '.join(parts)} FROM {relation}")
    drop_csv_errors(con)
    half = len(columns)
    decided = settle_date_order(fmt, max(row[:half], default=None), max(row[half:], default=None))
    if decided:
        plan.date_format = decided
        plan.notes = [n for n in plan.notes if n != fmt.note]
        plan.notes.append(f"dates read as {decided.display}, decided from the whole file")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
