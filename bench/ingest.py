"""Ingest benchmark: adlens vs the raw DuckDB ceiling vs a chunked pandas pipeline.

One run generates Google Ads and Meta Ads exports of N rows (with their real quirks) into
``bench/data/``, measures each loader in a fresh subprocess (wall time and peak RSS), and writes
``bench/RESULTS.md``. See ``bench/README.md``.

    python bench/ingest.py --quick
    python bench/ingest.py --sizes 1M,5M,10M --formats google_ads,meta --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import io
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import write_section

if TYPE_CHECKING:
    import pandas as pd

SCRIPT = Path(__file__).resolve()
BENCH_DIR = SCRIPT.parent
DATA_DIR = BENCH_DIR / "data"
GENERATOR_VERSION = 1  # bump when the generated data changes, so cached files are not reused
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception)\b")
PANDAS_WORKER_ARG = "_pandas_worker"  # hidden first argument: run the pandas loader (see main)

FIRST_DAY = dt.date(2023, 1, 1)
DAYS = 730  # rows are spread over ~2 years, sorted by day as the platforms export them
GOOGLE_CAMPAIGNS = 2_000  # at least; more when a day holds more rows (see entity_count)
META_ADS = 4_000  # at least; 8 ads per campaign, 2 per ad set

MIB = 1024 * 1024
TARGET_VS_RAW = 0.5  # adlens throughput >= 0.5x raw DuckDB
TARGET_VS_PANDAS = 2.0  # adlens throughput >= 2x pandas
TARGET_RSS_MIB = 1024.0  # adlens peak RSS < 1 GiB
TARGET_RSS_GROWTH = 1.2  # between the two largest sizes (2x the rows): flat, not O(file)

METHODS = ("adlens", "raw", "pandas")
METHOD_LABELS = {"adlens": "adlens", "raw": "raw DuckDB", "pandas": "pandas"}


@dataclass(frozen=True)
class ExportFormat:
    """One platform export: its file layout and how its columns map to the unified schema."""

    name: str
    header: str  # the header line, verbatim
    title_lines: int  # lines before the header row
    total_rows: int  # `Total: ...` rows after the body
    encoding: str
    columns: dict[str, str]  # export column -> unified column
    currency: str | None = None  # set when the currency is in a header, not a column


GOOGLE_ADS = ExportFormat(
    name="google_ads",
    header=(
        "Day,Campaign,Campaign ID,Campaign status,Campaign type,Currency code,Impr.,"
        "Clicks,CTR,Avg. CPC,Cost,Conversions,Conv. value,Cost / conv."
    ),
    title_lines=2,
    total_rows=2,
    encoding="utf-8",
    columns={
        "Day": "date",
        "Campaign ID": "campaign_id",
        "Campaign": "campaign_name",
        "Currency code": "currency",
        "Cost": "spend",
        "Impr.": "impressions",
        "Clicks": "clicks",
        "Conversions": "conversions",
        "Conv. value": "conversion_value",
    },
)

META = ExportFormat(
    name="meta",
    header=(
        "Day,Account ID,Account name,Campaign name,Campaign ID,Ad set name,Ad name,"
        "Delivery,Amount spent (USD),Impressions,Reach,Frequency,Link clicks,"
        "Clicks (all),Results,Result indicator,Cost per result,Purchases,"
        "Purchases conversion value,Attribution setting,Reporting starts,Reporting ends"
    ),
    title_lines=0,
    total_rows=0,
    encoding="utf-8-sig",
    columns={
        "Day": "date",
        "Account ID": "account_id",
        "Account name": "account_name",
        "Campaign ID": "campaign_id",
        "Campaign name": "campaign_name",
        "Ad set name": "ad_group_name",
        "Ad name": "ad_name",
        "Amount spent (USD)": "spend",
        "Impressions": "impressions",
        "Link clicks": "clicks",
        "Purchases": "conversions",
        "Purchases conversion value": "conversion_value",
    },
    currency="USD",
)

FORMATS = {fmt.name: fmt for fmt in (GOOGLE_ADS, META)}

UNIFIED_TABLE_DDL = """
CREATE TABLE ad_performance (
    platform VARCHAR, date DATE, account_id VARCHAR, account_name VARCHAR,
    campaign_id VARCHAR, campaign_name VARCHAR, ad_group_name VARCHAR, ad_name VARCHAR,
    currency VARCHAR, spend DOUBLE, impressions BIGINT, clicks BIGINT,
    conversions DOUBLE, conversion_value DOUBLE
)
"""

# The engine's ceiling: no cleaning, just the CSV into a fresh file database. ignore_errors
# because the sniffer types `Day` as DATE from a sample, so the `Total:` rows at the end would
# abort the load; with it DuckDB drops them (and would drop any other row that does not parse).
RAW_DUCKDB_SNIPPET = """
import json, sys, duckdb
path, db, skip = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect(db)
con.sql("SET enable_progress_bar = false")
query = "CREATE TABLE t AS SELECT * FROM read_csv(?, skip = ?, ignore_errors = true)"
con.sql(query, params=[path, skip])
print(json.dumps({"rows_loaded": con.sql("SELECT count(*) FROM t").fetchall()[0][0]}))
"""

# --------------------------------------------------------------------------------------------
# Sizes


def parse_size(text: str) -> int:
    """Turn "500k", "1M", "2.5M" or "100000" into a row count.

    >>> parse_size("1M"), parse_size("500k"), parse_size("1_000")
    (1000000, 500000, 1000)
    """
    units = {"k": 1_000, "m": 1_000_000}
    cleaned = text.strip().lower().replace("_", "")
    if cleaned[-1:] in units:
        return int(float(cleaned[:-1]) * units[cleaned[-1]])
    return int(cleaned)


def size_label(rows: int) -> str:
    """Short label for a row count, used in file names.

    >>> size_label(10_000_000), size_label(500_000), size_label(1234)
    ('10M', '500k', '1234')
    """
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


# --------------------------------------------------------------------------------------------
# Generation: every row is computed by DuckDB from range(N); Python only writes the few lines
# around the body (title, header, totals) through COPY's PREFIX and SUFFIX.


def connect(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database)
    con.sql("SET enable_progress_bar = false")
    return con


def sql_literal(text: str) -> str:
    """Quote text as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def csv_line(fields: Sequence[str]) -> str:
    """One CSV line, quoted only where needed, as the platforms write them."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def create_macros(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Deterministic per-row randomness (hash-based, so parallel COPY stays reproducible)."""
    con.sql(f"CREATE TEMP MACRO rnd(i, k) AS (hash(i, {int(seed)}, k) % 1000000) / 1000000.0")
    con.sql("CREATE TEMP MACRO grouped(x) AS format('{:,}', x)")
    con.sql("CREATE TEMP MACRO money(cents) AS format('{:,.2f}', cents / 100)")
    con.sql(
        "CREATE TEMP MACRO money_per(num, den) AS "
        "CASE WHEN den = 0 THEN ' --' ELSE format('{:,.2f}', num / den) END"
    )
    con.sql(
        "CREATE TEMP MACRO pct(num, den) AS "
        "CASE WHEN den = 0 THEN ' --' ELSE format('{:.2f}%', 100 * num / den) END"
    )


def entity_count(minimum: int, rows: int) -> int:
    """Campaigns (Google) or ads (Meta): enough that no (day, entity) pair repeats.

    A real Day x Campaign report never has two rows for one pair, so above ~1.5M rows the
    entity count grows with the row count instead of repeating keys.

    >>> entity_count(2_000, 1_000_000), entity_count(2_000, 10_000_000)
    (2000, 13699)
    """
    return max(minimum, -(-rows // DAYS))


def day_sql(rows: int) -> str:
    return f"DATE '{FIRST_DAY.isoformat()}' + CAST(i * {DAYS} // {rows} AS INTEGER)"


def last_day(rows: int) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=(rows - 1) * DAYS // rows)


def google_ads_rows_sql(rows: int) -> str:
    """Numeric Google Ads rows; money in cents and conversions in hundredths, so sums are exact."""
    return f"""
    SELECT
        {day_sql(rows)} AS day,
        i % {entity_count(GOOGLE_CAMPAIGNS, rows)} AS c,
        21000000000 + c * 37 AS campaign_id,
        format('{{}}_{{}}_{{:04d}}',
            ['Brand', 'Generic', 'Competitor', 'Remarketing', 'Prospecting'][c % 5 + 1],
            ['US', 'UK', 'DE', 'FR', 'CA', 'AU'][c // 5 % 6 + 1], c) AS campaign_name,
        ['Search', 'Performance Max', 'Display', 'Video', 'Shopping'][c % 7 % 5 + 1]
            AS campaign_type,
        rnd(c, 0) < 0.1 AS paused,
        CASE WHEN paused THEN 0 ELSE floor(pow(rnd(i, 1), 3) * 250000) END::BIGINT
            AS impressions,
        floor(impressions * (0.002 + 0.08 * rnd(i, 2)))::BIGINT AS clicks,
        (clicks * (20 + floor(400 * rnd(i, 3))))::BIGINT AS cost_cents,
        CASE WHEN rnd(i, 4) < 0.2 THEN 0 ELSE floor(clicks * 10 * rnd(i, 5)) END::BIGINT
            AS conv_centi,
        (conv_centi * (20 + floor(180 * rnd(i, 6))))::BIGINT AS value_cents
    FROM range({rows}) AS t(i)
    """


# Impr. .. Cost / conv., shared by the body rows and the Total rows.
GOOGLE_ADS_METRICS_SQL = """
    grouped(impressions), grouped(clicks), pct(clicks, impressions),
    money_per(cost_cents / 100, clicks), money(cost_cents), money(conv_centi), money(value_cents),
    money_per(cost_cents, conv_centi)
"""


def google_ads_total_lines(con: duckdb.DuckDBPyConnection, rows: int) -> str:
    """`Total: Campaigns` and `Total: Account`, summed by DuckDB over the same rows."""
    sums = f"""
        SELECT sum(impressions)::BIGINT AS impressions, sum(clicks)::BIGINT AS clicks,
               sum(cost_cents)::BIGINT AS cost_cents, sum(conv_centi)::BIGINT AS conv_centi,
               sum(value_cents)::BIGINT AS value_cents
        FROM ({google_ads_rows_sql(rows)})
    """
    metrics = list(con.sql(f"SELECT {GOOGLE_ADS_METRICS_SQL} FROM ({sums})").fetchall()[0])
    campaigns = ["Total: Campaigns", " --", " --", " --", " --", "USD", *metrics]
    account = ["Total: Account", "", "", "", "", "USD", *metrics]
    return csv_line(campaigns) + csv_line(account)


def write_google_ads(con: duckdb.DuckDBPyConnection, rows: int, path: Path) -> None:
    def long_date(day: dt.date) -> str:
        return f"{day:%B} {day.day}, {day.year}"

    date_range = f"{long_date(FIRST_DAY)} - {long_date(last_day(rows))}"
    prefix = "Campaign report\n" + csv_line([date_range]) + GOOGLE_ADS.header + "\n"
    # DuckDB writes the newline between rows, not after the last one, when SUFFIX is set.
    suffix = "\n" + google_ads_total_lines(con, rows)
    body = f"""
        SELECT day, campaign_name, campaign_id,
               CASE WHEN paused THEN 'Paused' ELSE 'Enabled' END, campaign_type, 'USD',
               {GOOGLE_ADS_METRICS_SQL}
        FROM ({google_ads_rows_sql(rows)})
    """
    copy_csv(con, body, path, prefix, suffix)


def meta_rows_sql(rows: int) -> str:
    """Numeric Meta rows: 4 accounts, 8 ads per campaign, 2 ads per ad set."""
    return f"""
    SELECT
        {day_sql(rows)} AS day,
        i % {entity_count(META_ADS, rows)} AS ad,
        ad // 8 AS campaign,
        ad // 2 AS ad_set,
        campaign % 4 AS account,
        1029384756 + account * 1111 AS account_id,
        ['Acme Store', 'Acme Europe', 'Acme Outlet', 'Acme Apps'][account + 1] AS account_name,
        campaign % 5 = 2 AS is_lead,
        format('{{}} {{:03d}} | {{}}',
            ['Summer Sale', 'Always On', 'Lead Gen', 'Black Friday', 'Spring Launch'][campaign % 5 + 1],
            campaign, ['Prospecting', 'Retargeting'][campaign // 5 % 2 + 1]) AS campaign_name,
        120210000000000 + campaign AS campaign_id,
        format('{{}} {{:04d}}',
            ['US 25-44 Broad', 'Site visitors 30d', 'Lookalike 1%', 'Interest: Fitness'][ad_set % 4 + 1],
            ad_set) AS ad_set_name,
        format('{{}} {{:04d}}',
            ['Carousel', 'Video', 'Single image', 'Collection'][ad % 4 + 1], ad) AS ad_name,
        rnd(ad, 0) < 0.08 AS inactive,
        CASE WHEN inactive THEN 0 ELSE floor(pow(rnd(i, 1), 3) * 200000) END::BIGINT
            AS impressions,
        ceil(impressions / (1 + 2 * rnd(i, 2)))::BIGINT AS reach,
        floor(impressions * (200 + 1800 * rnd(i, 3)) / 1000)::BIGINT AS spend_cents,
        floor(impressions * (0.005 + 0.03 * rnd(i, 4)))::BIGINT AS clicks_all,
        floor(clicks_all * (0.4 + 0.5 * rnd(i, 5)))::BIGINT AS link_clicks,
        rnd(i, 6) < 0.1 AS link_clicks_missing,
        CASE WHEN is_lead THEN 0 ELSE floor(link_clicks * 0.05 * rnd(i, 7)) END::BIGINT
            AS purchases,
        CASE WHEN is_lead THEN floor(link_clicks * 0.1 * rnd(i, 8)) ELSE purchases END::BIGINT
            AS results,
        (purchases * (2000 + floor(15000 * rnd(i, 9))))::BIGINT AS purchase_value_cents
    FROM range({rows}) AS t(i)
    """  # noqa: E501  (the name lists read better on one line)


def write_meta(con: duckdb.DuckDBPyConnection, rows: int, path: Path) -> None:
    body = f"""
        SELECT day, account_id, account_name, campaign_name, campaign_id, ad_set_name, ad_name,
            CASE WHEN inactive THEN 'inactive' WHEN impressions = 0 THEN 'not_delivering'
                 ELSE 'active' END,
            CASE WHEN spend_cents = 0 THEN '0' ELSE money(spend_cents) END,
            impressions, reach,
            CASE WHEN reach = 0 THEN '0' ELSE format('{{:.2f}}', impressions / reach) END,
            CASE WHEN link_clicks_missing THEN NULL ELSE grouped(link_clicks) END,
            grouped(clicks_all), results,
            CASE WHEN is_lead THEN 'actions:lead'
                 ELSE 'actions:offsite_conversion.fb_pixel_purchase' END,
            CASE WHEN results = 0 THEN NULL ELSE money_per(spend_cents / 100, results) END,
            purchases,
            CASE WHEN purchase_value_cents = 0 THEN '0' ELSE money(purchase_value_cents) END,
            '7-day click or 1-day view', day, day
        FROM ({meta_rows_sql(rows)})
    """
    copy_csv(con, body, path, prefix="\ufeff" + META.header + "\n", suffix="\n")


def copy_csv(
    con: duckdb.DuckDBPyConnection, query: str, path: Path, prefix: str, suffix: str
) -> None:
    con.sql(
        f"COPY ({query}) TO {sql_literal(str(path))} "
        f"(FORMAT csv, HEADER false, PREFIX {sql_literal(prefix)}, SUFFIX {sql_literal(suffix)})"
    )


WRITERS: dict[str, Callable[[duckdb.DuckDBPyConnection, int, Path], None]] = {
    "google_ads": write_google_ads,
    "meta": write_meta,
}


def export_path(fmt: ExportFormat, rows: int, seed: int) -> Path:
    return DATA_DIR / f"{fmt.name}_{size_label(rows)}_seed{seed}_v{GENERATOR_VERSION}.csv"


@dataclass(frozen=True)
class Export:
    path: Path
    generate_s: float | None = None  # None: an existing file was reused
    verify_s: float | None = None


def ensure_export(fmt: ExportFormat, rows: int, seed: int) -> Export:
    """The export file for (format, rows, seed): reused if present, else generated and checked."""
    path = export_path(fmt, rows, seed)
    if path.exists():
        return Export(path)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.partial")  # never leave a half-written file under the name
    started = time.perf_counter()
    con = connect()
    try:
        create_macros(con, seed)
        WRITERS[fmt.name](con, rows, partial)
    finally:
        con.close()
    generated = time.perf_counter()
    verify_export(fmt, partial, rows)
    partial.replace(path)
    return Export(path, generated - started, time.perf_counter() - generated)


def verify_export(fmt: ExportFormat, path: Path, rows: int) -> None:
    """Read the file back: N body rows, and every Total row equal to the body sums."""
    parts = export_sums(fmt, path)
    body_rows, body_sums = parts.pop("body", (0, ()))
    problems = [] if body_rows == rows else [f"{body_rows} body rows, expected {rows}"]
    if len(parts) != fmt.total_rows:
        problems.append(f"{len(parts)} Total rows, expected {fmt.total_rows}")
    problems += [
        f"{part} {sums} != body sums {body_sums}"
        for part, (_, sums) in parts.items()
        if sums != body_sums
    ]
    if problems:
        path.unlink()
        raise RuntimeError(f"generated {path.name} is wrong: " + "; ".join(problems))


def export_sums(fmt: ExportFormat, path: Path) -> dict[str, tuple[int, tuple[Any, ...]]]:
    """Row count and additive sums of the body and of each `Total:` row, parsed from the text."""
    columns = (
        [("Impr.", "BIGINT"), ("Clicks", "BIGINT"), ("Cost", "DECIMAL(18,2)"),
         ("Conversions", "DECIMAL(18,2)"), ("Conv. value", "DECIMAL(18,2)")]
        if fmt is GOOGLE_ADS
        else [("Impressions", "BIGINT")]
    )  # fmt: skip
    sums = ", ".join(
        f"sum(replace(nullif(trim(\"{column}\"), '--'), ',', '')::{kind})"
        for column, kind in columns
    )
    query = f"""
        SELECT CASE WHEN "Day" LIKE 'Total:%' THEN "Day" ELSE 'body' END AS part,
               count(*), {sums}
        FROM read_csv(?, skip = ?, header = true, all_varchar = true)
        GROUP BY part
    """
    con = connect()
    try:
        result = con.sql(query, params=[str(path), fmt.title_lines]).fetchall()
    finally:
        con.close()
    return {part: (count, tuple(values)) for part, count, *values in result}


# --------------------------------------------------------------------------------------------
# Measurement: one fresh subprocess per run; os.wait4 gives that child's own peak RSS.


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_rss_mib: float
    rows_loaded: int | None


@dataclass
class MethodResult:
    method: str
    runs: list[Run] = field(default_factory=list)
    skipped: str | None = None

    @property
    def measured(self) -> bool:
        return bool(self.runs) and self.skipped is None

    @property
    def wall_s(self) -> float:
        return statistics.median(run.wall_s for run in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        return statistics.median(run.peak_rss_mib for run in self.runs)


@dataclass
class SizeResult:
    fmt: str
    rows: int
    file_mib: float
    methods: dict[str, MethodResult]

    def throughput(self, method: str) -> float | None:
        result = self.methods.get(method)
        return self.rows / result.wall_s if result and result.measured else None


@dataclass(frozen=True)
class ChildOutcome:
    wall_s: float
    peak_rss_mib: float
    exit_code: int
    stdout: str
    stderr: str


def run_child(command: Sequence[str], cwd: Path) -> ChildOutcome:
    """Run a command to completion; wall time from spawn to exit, peak RSS of that child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped: no 2nd wait
        out.seek(0)
        err.seek(0)
        return ChildOutcome(
            wall_s=wall,
            peak_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
            exit_code=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def find_rows_loaded(report: object) -> int | None:
    """The first `rows_loaded` integer anywhere in a JSON report.

    >>> find_rows_loaded({"ingest": {"rows_loaded": 3}}), find_rows_loaded([{}])
    (3, None)
    """
    if isinstance(report, dict):
        value = report.get("rows_loaded")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        children: list[object] = list(report.values())
    elif isinstance(report, list):
        children = list(report)
    else:
        return None
    return next((n for child in children if (n := find_rows_loaded(child)) is not None), None)


def parse_json_report(stdout: str) -> object:
    """The JSON a command printed, even after log lines: from the first line that parses.

    >>> parse_json_report('loading...\\n{"rows_loaded": 2,\\n "rejects": 0}\\n')
    {'rows_loaded': 2, 'rejects': 0}
    """
    lines = stdout.splitlines()
    for start, line in enumerate(lines):
        if line.lstrip().startswith(("{", "[")):
            try:
                return json.JSONDecoder().raw_decode("\n".join(lines[start:]).lstrip())[0]
            except json.JSONDecodeError:
                continue
    return None


def error_line(stderr: str) -> str:
    """The line that says what went wrong: a traceback's exception line, else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    exceptions = [line for line in lines if EXCEPTION_LINE.match(line)]
    return (exceptions or lines or ["(no output)"])[-1]


def find_adlens() -> tuple[list[str] | None, str]:
    """The adlens CLI next to this interpreter (or on PATH), or why it cannot be run."""
    sibling = Path(sys.executable).with_name("adlens")
    executable = str(sibling) if sibling.exists() else shutil.which("adlens")
    probe = subprocess.run(
        [sys.executable, "-c", "import adlens.cli"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return None, f"adlens not importable: {error_line(probe.stderr)}"
    if executable is None:
        return None, "adlens not importable: no `adlens` command next to Python or on PATH"
    return [executable], f"adlens command: {executable}"


def method_command(
    method: str, fmt: ExportFormat, csv_path: Path, db_path: Path, adlens: list[str] | None
) -> list[str]:
    if method == "adlens":
        assert adlens is not None
        return [*adlens, "ingest", str(csv_path), "--db", str(db_path), "--json"]
    if method == "raw":
        args = [str(csv_path), str(db_path), str(fmt.title_lines)]
        return [sys.executable, "-c", RAW_DUCKDB_SNIPPET, *args]
    return [sys.executable, str(SCRIPT), PANDAS_WORKER_ARG, fmt.name, str(csv_path), str(db_path)]


def warm_page_cache(path: Path) -> None:
    """Read the file once so that no method pays for a cold disk and the others do not."""
    with path.open("rb") as file:
        while file.read(16 * MIB):
            pass


@dataclass
class Bench:
    """Run-wide settings and the warnings collected along the way."""

    repeat: int
    methods: tuple[str, ...]
    adlens: list[str] | None
    adlens_note: str
    workdir: Path
    keep_data: bool
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"  WARNING: {message}", flush=True)

    def measure_size(self, fmt: ExportFormat, csv_path: Path, rows: int) -> SizeResult:
        warm_page_cache(csv_path)
        methods = {
            method: self.measure_method(method, fmt, csv_path, rows) for method in self.methods
        }
        return SizeResult(fmt.name, rows, csv_path.stat().st_size / MIB, methods)

    def measure_method(
        self, method: str, fmt: ExportFormat, csv_path: Path, rows: int
    ) -> MethodResult:
        result = MethodResult(method)
        if method == "adlens" and self.adlens is None:
            result.skipped = self.adlens_note
            return result
        for attempt in range(1, self.repeat + 1):
            run_dir = self.workdir / f"{fmt.name}_{size_label(rows)}_{method}_{attempt}"
            run_dir.mkdir(parents=True)
            try:
                command = method_command(method, fmt, csv_path, run_dir / "x.duckdb", self.adlens)
                outcome = run_child(command, run_dir)
            finally:
                if not self.keep_data:
                    shutil.rmtree(run_dir, ignore_errors=True)
            label = (
                f"{METHOD_LABELS[method]} {fmt.name} {size_label(rows)} ({attempt}/{self.repeat})"
            )
            if outcome.exit_code != 0:
                result.skipped = f"failed (exit {outcome.exit_code}): {error_line(outcome.stderr)}"
                self.warn(f"{label}: {result.skipped}")
                return result
            run = Run(outcome.wall_s, outcome.peak_rss_mib, rows_loaded(outcome.stdout))
            print(f"  {label}: {run.wall_s:.2f} s, {run.peak_rss_mib:,.0f} MiB", flush=True)
            self.check_rows(label, run.rows_loaded, rows)
            result.runs.append(run)
        return result

    def check_rows(self, label: str, loaded: int | None, expected: int) -> None:
        if loaded is None:
            self.warn(f"{label}: no rows_loaded in its JSON output")
        elif loaded != expected:
            self.warn(f"{label}: rows_loaded = {loaded:,}, expected {expected:,}")


def rows_loaded(stdout: str) -> int | None:
    return find_rows_loaded(parse_json_report(stdout))


# --------------------------------------------------------------------------------------------
# The pandas pipeline, as a reasonable pandas user writes it: chunked, vectorised per chunk.


def pandas_worker(fmt_name: str, csv_path: str, db_path: str) -> None:
    import pandas as pd

    fmt = FORMATS[fmt_name]
    con = connect(db_path)
    con.sql(UNIFIED_TABLE_DDL)
    chunks = pd.read_csv(
        csv_path, chunksize=10_000, skiprows=fmt.title_lines, dtype=str, encoding=fmt.encoding
    )
    loaded = 0
    for chunk in chunks:
        frame = unify_chunk(chunk, fmt)
        con.append("ad_performance", frame, by_name=True)
        loaded += len(frame)
    con.close()
    print(json.dumps({"rows_loaded": loaded}))


def unify_chunk(chunk: pd.DataFrame, fmt: ExportFormat) -> pd.DataFrame:
    """Drop Total rows, map columns to the unified schema, parse numbers and dates."""
    import pandas as pd

    chunk = chunk[~chunk["Day"].str.startswith("Total:", na=False)]
    frame = chunk[list(fmt.columns)].rename(columns=fmt.columns)
    frame["platform"] = fmt.name
    if fmt.currency is not None:
        frame["currency"] = fmt.currency
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    for column in ("spend", "conversions", "conversion_value"):
        frame[column] = parse_number(frame[column])
    for column in ("impressions", "clicks"):
        frame[column] = parse_number(frame[column]).astype("Int64")
    return frame


def parse_number(values: pd.Series) -> pd.Series:
    """ "12,410" -> 12410, " --" -> NA, "" -> NA."""
    import pandas as pd

    cleaned = values.str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(cleaned.where(cleaned != "--"), errors="coerce")


# --------------------------------------------------------------------------------------------
# Report


def machine_info() -> dict[str, str]:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable",
        "RAM": f"{memory / 1024**3:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "duckdb": version("duckdb"),
        "pandas": version("pandas"),
        "adlens": version("adlens"),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def verdict(value: float | None, ok: bool) -> str:
    return "n/a" if value is None else ("PASS" if ok else "FAIL")


def ratio_cell(numerator: float | None, denominator: float | None, target: float) -> str:
    if numerator is None or denominator is None:
        return "n/a"
    ratio = numerator / denominator
    return f"{ratio:.2f}x {verdict(ratio, ratio >= target)}"


def method_cells(size: SizeResult, method: str) -> list[str]:
    result = size.methods.get(method)
    if result is None or not result.measured:
        return ["skipped", "", ""]
    return [
        f"{result.wall_s:.2f}",
        f"{size.rows / result.wall_s:,.0f}",
        f"{result.peak_rss_mib:,.0f}",
    ]


def table_row(size: SizeResult, methods: Sequence[str]) -> list[str]:
    adlens = size.methods.get("adlens")
    rss = adlens.peak_rss_mib if adlens and adlens.measured else None
    rss_cell = "n/a" if rss is None else verdict(rss, rss < TARGET_RSS_MIB)
    cells = [f"{size.rows:,}", f"{size.file_mib:,.1f}"]
    for method in methods:
        cells += method_cells(size, method)
    adlens_speed = size.throughput("adlens")
    return [
        *cells,
        ratio_cell(adlens_speed, size.throughput("raw"), TARGET_VS_RAW),
        ratio_cell(adlens_speed, size.throughput("pandas"), TARGET_VS_PANDAS),
        rss_cell,
    ]


def format_table(sizes: Sequence[SizeResult], methods: Sequence[str]) -> str:
    header = ["rows", "file MiB"]
    for method in methods:
        label = METHOD_LABELS[method]
        header += [f"{label} s", f"{label} rows/s", f"{label} peak RSS MiB"]
    header += [
        f"adlens / raw DuckDB (>= {TARGET_VS_RAW}x)",
        f"adlens / pandas (>= {TARGET_VS_PANDAS:g}x)",
        "adlens RSS < 1 GiB",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(table_row(size, methods)) + " |" for size in sizes]
    return "\n".join(lines)


def rss_growth_line(sizes: Sequence[SizeResult]) -> str:
    """How adlens peak RSS follows file size: it may rise until DuckDB's buffer limit is
    reached (ADLENS_MEMORY_LIMIT, 512 MB by default), then must stay flat."""
    measured = [s for s in sizes if "adlens" in s.methods and s.methods["adlens"].measured]
    if len(measured) < 2:
        return "adlens peak RSS growth: n/a (needs adlens measured at two sizes or more)"
    steps = [
        f"{size_label(a.rows)} -> {size_label(b.rows)}: "
        f"{b.methods['adlens'].peak_rss_mib / a.methods['adlens'].peak_rss_mib:.2f}x"
        for a, b in itertools.pairwise(measured)
    ]
    small, large = measured[-2], measured[-1]
    growth = large.methods["adlens"].peak_rss_mib / small.methods["adlens"].peak_rss_mib
    ok = growth <= TARGET_RSS_GROWTH
    return (
        f"adlens peak RSS growth by step ({'; '.join(steps)}). Between the two largest files "
        f"({large.rows / small.rows:.1f}x the rows): {growth:.2f}x "
        f"(target <= {TARGET_RSS_GROWTH}x, memory no longer follows file size): "
        f"{verdict(growth, ok)}"
    )


def format_tables(results: Sequence[SizeResult], methods: Sequence[str]) -> str:
    sections = []
    for name in dict.fromkeys(result.fmt for result in results):
        sizes = sorted((r for r in results if r.fmt == name), key=lambda r: r.rows)
        sections.append(
            f"### {name}\n\n{format_table(sizes, methods)}\n\n{rss_growth_line(sizes)}\n"
        )
    return "\n".join(sections)


def skipped_notes(results: Sequence[SizeResult]) -> list[str]:
    notes = {
        f"{METHOD_LABELS[m.method]}: {m.skipped}"
        for result in results
        for m in result.methods.values()
        if m.skipped
    }
    return sorted(notes)


def render_report(
    results: Sequence[SizeResult],
    bench: Bench,
    info: dict[str, str],
    command: str,
    generated: list[str],
) -> str:
    machine = "\n".join(f"- {key}: {value}" for key, value in info.items())
    notes = skipped_notes(results) + bench.warnings
    return f"""## Ingest (`bench/ingest.py`)

Generated by `bench/ingest.py` (see `bench/README.md`). Every number below was measured in the
run described here; nothing is carried over from earlier runs.

### Machine

{machine}

### Command

```
{command}
```

### Method

- adlens: `adlens ingest FILE --db DIR/x.duckdb --json` (the real CLI).
- raw DuckDB: `CREATE TABLE t AS SELECT * FROM read_csv(FILE, skip=<title lines>,
  ignore_errors=true)` into a fresh file database, no cleaning: the engine's ceiling
  (`ignore_errors` lets DuckDB drop the `Total:` rows, which otherwise abort the load because
  `Day` is sniffed as DATE).
- pandas: `pd.read_csv(chunksize=10_000, dtype=str)`, the same cleaning adlens does (drop Total
  rows, parse quoted thousands and `--`, parse dates, map to the unified schema), each chunk
  appended to a DuckDB file table.
- Each run is a fresh subprocess into a fresh database file; wall time is spawn to exit
  (interpreter start and imports included); peak RSS is that child's `ru_maxrss` (`os.wait4`).
  Median of {bench.repeat} run(s) per cell; the CSV is read once beforehand so the page cache is
  warm for every method. rows/s = body rows / wall seconds.
- Targets: adlens >= {TARGET_VS_RAW}x raw DuckDB throughput, >= {TARGET_VS_PANDAS:g}x pandas
  throughput, adlens peak RSS < 1 GiB (the target is at 10M rows) and not growing with file
  size (largest size <= {TARGET_RSS_GROWTH}x the smallest).

### Results

{format_tables(results, bench.methods)}
### Data generation

{chr(10).join(f"- {line}" for line in generated)}

### Notes

{chr(10).join(f"- {note}" for note in notes) if notes else "- none"}
"""


# --------------------------------------------------------------------------------------------
# Entry points


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark adlens ingest against raw DuckDB and a chunked pandas pipeline.",
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--sizes", default="1M,5M,10M", help="row counts (default: %(default)s)")
    sizes.add_argument(
        "--quick", action="store_true", help="smoke run: sizes 100k,500k (no --sizes)"
    )
    parser.add_argument(
        "--formats", default="google_ads,meta", help="export formats (default: %(default)s)"
    )
    parser.add_argument(
        "--methods", default=",".join(METHODS), help="loaders to measure (default: %(default)s)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per measurement, median reported (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="data generation seed (default: %(default)s)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH_DIR / "RESULTS.md",
        help="report path (default: bench/RESULTS.md)",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the DuckDB files the runs create (the CSVs are always kept)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the DuckDB files go (default: the system temp dir)",
    )
    args = parser.parse_args(argv)
    args.size_list = [parse_size(s) for s in ("100k,500k" if args.quick else args.sizes).split(",")]
    args.format_list = split_choices(parser, "--formats", args.formats, tuple(FORMATS))
    args.method_list = split_choices(parser, "--methods", args.methods, METHODS)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def split_choices(
    parser: argparse.ArgumentParser, option: str, text: str, choices: Sequence[str]
) -> list[str]:
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in choices]
    if unknown or not chosen:
        parser.error(f"{option}: unknown {unknown}; choose from {', '.join(choices)}")
    return chosen


def generate_all(args: argparse.Namespace) -> tuple[dict[tuple[str, int], Path], list[str]]:
    paths: dict[tuple[str, int], Path] = {}
    notes: list[str] = []
    for name in args.format_list:
        for rows in args.size_list:
            export = ensure_export(FORMATS[name], rows, args.seed)
            notes.append(describe_export(export, rows))
            print(f"  {notes[-1]}", flush=True)
            paths[(name, rows)] = export.path
    return paths, notes


def describe_export(export: Export, rows: int) -> str:
    mib = export.path.stat().st_size / MIB
    how = "reused (generated by an earlier run)"
    seconds, check_seconds = export.generate_s, export.verify_s
    if seconds is not None and check_seconds is not None:
        how = (
            f"generated in {seconds:.2f} s ({rows / seconds:,.0f} rows/s, "
            f"{mib / seconds:,.0f} MiB/s), read back and checked in {check_seconds:.2f} s"
        )
    return f"{export.path.relative_to(BENCH_DIR.parent)}: {rows:,} rows, {mib:,.1f} MiB, {how}"


def run_benchmark(args: argparse.Namespace) -> int:
    command = shlex.join(sys.orig_argv)
    print("Generating exports", flush=True)
    paths, generated = generate_all(args)
    adlens, adlens_note = None, "adlens not measured (--methods)"
    if "adlens" in args.method_list:
        adlens, adlens_note = find_adlens()
        print(adlens_note, flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="adlens-bench-", dir=args.workdir))
    bench = Bench(
        repeat=args.repeat,
        methods=tuple(args.method_list),
        adlens=adlens,
        adlens_note=adlens_note,
        workdir=workdir,
        keep_data=args.keep_data,
    )
    results = []
    try:
        for (name, rows), path in paths.items():
            print(f"Measuring {name} {size_label(rows)}", flush=True)
            results.append(bench.measure_size(FORMATS[name], path, rows))
    finally:
        if args.keep_data:
            print(f"DuckDB files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report = render_report(results, bench, machine_info(), command, generated)
    write_section(args.out, "ingest", report)
    print()
    print(format_tables(results, bench.methods))
    print(f"Report written to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [PANDAS_WORKER_ARG]:
        _, fmt_name, csv_path, db_path = argv
        pandas_worker(fmt_name, csv_path, db_path)
        return 0
    return run_benchmark(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
