"""Query latency of the adlens engine against plain SQL on the base table, same run.

Builds (or reuses) a store of about 10M fact rows — a year, ~2,000 campaigns on five
platforms, day rows per ad for four platforms and hour rows for the last 90 days of the
fifth — plus two days of events (40 a second), then runs a fixed set of dashboard
queries:

- through ``run_query`` uncached (rollups on: what the planner picks),
- through ``run_query`` with an in-process cache (every run after the first is a hit),
- through ``run_query`` with rollups off (the engine on the base table),
- as hand-written SQL on the base table (the baseline),

checks that all four give the same numbers, and reports p50/p99 per query. It then loads a
1M-row Google Ads export (``bench/ingest.py``'s generator) into a copy of the store and times
the rollup extension that load runs, against the load's own time.

Writes the ``query`` section of ``bench/RESULTS.md``. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from adlens.ingest import ingest_file  # noqa: E402
from adlens.query import run_query  # noqa: E402
from adlens.query.cache import MemoryCache, TieredCache  # noqa: E402
from adlens.query.rollups import use_rollups  # noqa: E402
from adlens.store import open_store  # noqa: E402
from adlens.store.rollups import finer_than_groups, rebuild_rollups, refresh_rollups  # noqa: E402
from sections import write_section  # noqa: E402

DATA_DIR = BENCH / "data"
LAST_DAY = dt.date(2026, 10, 31)
DAYS = 365
HOURLY_DAYS = 90
PLATFORMS = ("meta", "google_ads", "tiktok", "linkedin", "microsoft")
NOW = dt.datetime(2026, 11, 1, 0, 0)  # "today": the day after the last loaded day
GENERATOR_VERSION = 4

TARGET_P50_MS = 20.0
TARGET_P99_MS = 100.0
TARGET_CACHED_P50_MS = 1.0
TARGET_SPEEDUP = 10.0
TARGET_EXTENSION = 0.10


# --------------------------------------------------------------------------------------------
# The store


@dataclass(frozen=True)
class Shape:
    campaigns: int
    ads: int  # ads per campaign on day rows
    hourly_ads: int  # ads per campaign on hour rows
    events_per_second: int = 40

    @property
    def name(self) -> str:
        return (
            f"c{self.campaigns}_a{self.ads}_h{self.hourly_ads}_e{self.events_per_second}"
            f"_v{GENERATOR_VERSION}"
        )


def build_store(path: Path, shape: Shape) -> int:
    """Write the facts with SQL (hash-based values: reproducible), then the rollups."""
    first = LAST_DAY - dt.timedelta(days=DAYS - 1)
    hourly_from = LAST_DAY - dt.timedelta(days=HOURLY_DAYS - 1)
    with open_store(path) as store:
        con = store.con
        con.execute("SET preserve_insertion_order = true")
        rnd = "(hash(i, {k}) % 1000000) / 1000000.0"
        body = f"""
            '{{platform}}' AS platform,
            'acct_' || (c % 40)::VARCHAR AS account_id,
            'Account ' || (c % 40)::VARCHAR AS account_name,
            'cmp_' || c::VARCHAR AS campaign_id,
            ['Brand', 'Generic', 'Prospecting', 'Retargeting', 'Sale'][c % 5 + 1]
                || ' ' || ['US', 'UK', 'DE', 'FR'][c // 5 % 4 + 1] || ' ' || c::VARCHAR
                AS campaign_name,
            'grp_' || (c * 10 + a % 3)::VARCHAR AS ad_group_id,
            'ad_' || (c * 100 + a)::VARCHAR AS ad_id,
            'Ad ' || a::VARCHAR AS ad_name,
            CASE WHEN '{{platform}}' IN ('google_ads', 'microsoft') THEN 'Paid Search'
                 ELSE 'Paid Social' END AS channel,
            'USD' AS currency,
            floor(pow({rnd.format(k=1)}, 2) * {{impressions}})::BIGINT AS impressions,
            floor(impressions * (0.005 + 0.03 * {rnd.format(k=2)}))::BIGINT AS clicks,
            round(clicks * (0.2 + 2.0 * {rnd.format(k=3)}), 2) AS spend,
            floor(clicks * 0.08 * {rnd.format(k=4)} * 4) / 4 AS conversions,
            round(conversions * (20 + 60 * {rnd.format(k=5)}), 2) AS conversion_value
        """
        columns = (
            "workspace, ts, date, grain, period_start, period_end, platform, account_id, "
            "account_name, campaign_id, campaign_name, ad_group_id, ad_id, ad_name, channel, "
            "currency, spend_original, spend, impressions, clicks, conversions, "
            "conversion_value, ingest_id, source_file, source_row"
        )
        pick = (
            "'default', ts, date, grain, date, date, platform, account_id, account_name, "
            "campaign_id, campaign_name, ad_group_id, ad_id, ad_name, channel, currency, spend, "
            "spend, impressions, clicks, conversions, conversion_value, {ingest_id}, 'bench', i"
        )
        ingest_id = con.execute("SELECT nextval('ingest_id_seq')").fetchall()[0][0]
        pick = pick.format(ingest_id=ingest_id)
        with store.transaction():
            for index, name in enumerate(PLATFORMS):
                owned = [c for c in range(shape.campaigns) if c % len(PLATFORMS) == index]
                low, count = owned[0], len(owned)
                hourly = name == "microsoft"
                day_count = DAYS - HOURLY_DAYS if hourly else DAYS
                rows = day_count * count * shape.ads
                # day rows: i -> (day, campaign, ad), in day order as platforms export
                con.execute(
                    f"""INSERT INTO ad_performance ({columns}) SELECT {pick} FROM (
                        SELECT i, DATE '{first}' + (i // {count * shape.ads})::INTEGER AS date,
                               date::TIMESTAMP AS ts, 'day' AS grain,
                               {low} + (i // {shape.ads} % {count}) * {len(PLATFORMS)} AS c,
                               i % {shape.ads} AS a,
                               {body.format(platform=name, impressions=6000)}
                        FROM range({rows}) t(i))"""
                )
                if hourly:
                    hours = HOURLY_DAYS * 24
                    rows = hours * count * shape.hourly_ads
                    con.execute(
                        f"""INSERT INTO ad_performance ({columns}) SELECT {pick} FROM (
                            SELECT i, TIMESTAMP '{hourly_from}' + to_hours(
                                   (i // {count * shape.hourly_ads})::INTEGER) AS ts,
                                   ts::DATE AS date, 'hour' AS grain,
                                   {low} + (i // {shape.hourly_ads} % {count}) * 5 AS c,
                                   i % {shape.hourly_ads} AS a,
                                   {body.format(platform=name, impressions=400)}
                            FROM range({rows}) t(i))"""
                    )
            # Events: the last 2 days, 200 campaigns on 3 platforms, mostly impressions.
            seconds = 2 * 86400
            count = seconds * shape.events_per_second
            start = dt.datetime.combine(LAST_DAY, dt.time()) - dt.timedelta(days=1)
            con.execute(
                f"""INSERT INTO events (workspace, ts, platform, account_id, campaign_id,
                        campaign_name, channel, event, value, batch_id, source)
                    SELECT 'default', TIMESTAMP '{start}' + to_microseconds(
                               (i * {seconds * 1_000_000} // {count})::BIGINT),
                           ['meta', 'google_ads', 'tiktok'][c % 3 + 1],
                           'acct_' || (c % 40)::VARCHAR, 'cmp_' || c::VARCHAR,
                           'Campaign ' || c::VARCHAR, 'Paid Social',
                           CASE WHEN {rnd.format(k=7)} < 0.9 THEN 'impression'
                                WHEN {rnd.format(k=7)} < 0.99 THEN 'click'
                                ELSE 'conversion' END AS event,
                           CASE event WHEN 'click' THEN round({rnd.format(k=8)}, 2)
                                WHEN 'conversion' THEN round(100 * {rnd.format(k=8)}, 2)
                           END, 1, 'bench'
                    FROM (SELECT i, (hash(i, 9) % 200)::BIGINT AS c FROM range({count}) t(i))"""
            )
            rebuild_rollups(con)
        con.execute("CHECKPOINT")
        return int(store.query("SELECT count(*) AS n FROM ad_performance")[0]["n"])


def ensure_store(shape: Shape) -> tuple[Path, int, float | None]:
    """The store for ``shape``: reused when present, else built. Returns (path, rows, seconds)."""
    path = DATA_DIR / f"query_{shape.name}.duckdb"
    if path.exists():
        with open_store(path) as store:
            rows = int(store.query("SELECT count(*) AS n FROM ad_performance")[0]["n"])
        return path, rows, None
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    rows = build_store(partial, shape)
    partial.rename(path)
    return path, rows, time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# The queries, and the same questions as plain SQL on the base table

_30 = "DATE '2026-10-02' AND DATE '2026-10-31'"
_30_BEFORE = "DATE '2026-09-02' AND DATE '2026-10-01'"
_90 = "DATE '2026-08-03' AND DATE '2026-10-31'"
_HOURS = "TIMESTAMP '2026-10-25 00:00:00' AND TIMESTAMP '2026-10-31 23:00:00'"
_DAY_ROWS = "(grain = 'day' AND date BETWEEN {days})"
_HOUR_ROWS = "(grain = 'hour' AND ts BETWEEN {hours})"
_RATIOS = (
    "sum(clicks)::DOUBLE / nullif(sum(impressions), 0) AS ctr, "
    "sum(spend)::DOUBLE / nullif(sum(clicks), 0) AS cpc, "
    "sum(spend)::DOUBLE / nullif(sum(conversions), 0) AS cpa, "
    "sum(conversion_value)::DOUBLE / nullif(sum(spend), 0) AS roas"
)


def _period(days: str, first_hour: str, last_hour: str) -> str:
    hours = f"TIMESTAMP '{first_hour}' AND TIMESTAMP '{last_hour}'"
    return f"({_DAY_ROWS.format(days=days)} OR {_HOUR_ROWS.format(hours=hours)})"


_KPIS = (
    "sum(spend) AS spend, sum(impressions) AS impressions, sum(clicks) AS clicks, "
    f"sum(conversions) AS conversions, sum(conversion_value) AS conversion_value, {_RATIOS}"
)


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    request: dict[str, Any]
    baseline: str
    days: int  # length of the range, for the >= 30 days speed-up target


CASES = (
    Case(
        "kpi_tiles_30d",
        "KPI tiles, last 30 days, with previous-period values",
        {
            "measures": [
                "spend",
                "impressions",
                "clicks",
                "conversions",
                "conversion_value",
                "ctr",
                "cpc",
                "cpa",
                "roas",
            ],
            "timeDimensions": [{"dimension": "ts", "dateRange": "last 30 days"}],
            "compare": "previous_period",
        },
        f"""SELECT * FROM
            (SELECT {_KPIS} FROM ad_performance WHERE workspace = 'default'
             AND {_period(_30, "2026-10-02 00:00:00", "2026-10-31 23:00:00")}) now,
            (SELECT {_KPIS} FROM ad_performance WHERE workspace = 'default'
             AND {_period(_30_BEFORE, "2026-09-02 00:00:00", "2026-10-01 23:00:00")}) before""",
        30,
    ),
    Case(
        "daily_by_platform_90d",
        "daily series by platform, last 90 days",
        {
            "measures": ["spend", "clicks", "conversions", "ctr"],
            "dimensions": ["platform"],
            "timeDimensions": [
                {"dimension": "ts", "granularity": "day", "dateRange": "last 90 days"}
            ],
        },
        f"""SELECT CASE WHEN grain = 'hour' THEN ts::DATE ELSE date END AS day, platform,
                   sum(spend), sum(clicks), sum(conversions),
                   sum(clicks)::DOUBLE / nullif(sum(impressions), 0)
            FROM ad_performance WHERE workspace = 'default'
            AND {_period(_90, "2026-08-03 00:00:00", "2026-10-31 23:00:00")}
            GROUP BY 1, 2""",
        90,
    ),
    Case(
        "top20_campaigns_30d",
        "top 20 campaigns by spend with CTR/CPA/ROAS, last 30 days",
        {
            "measures": ["spend", "ctr", "cpa", "roas"],
            "dimensions": ["campaign_name"],
            "timeDimensions": [{"dimension": "ts", "dateRange": "last 30 days"}],
            "order": {"spend": "desc"},
            "limit": 20,
        },
        f"""SELECT campaign_name, sum(spend) AS spend,
                   sum(clicks)::DOUBLE / nullif(sum(impressions), 0),
                   sum(spend)::DOUBLE / nullif(sum(conversions), 0),
                   sum(conversion_value)::DOUBLE / nullif(sum(spend), 0)
            FROM ad_performance WHERE workspace = 'default'
            AND {_period(_30, "2026-10-02 00:00:00", "2026-10-31 23:00:00")}
            GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1 LIMIT 20""",
        30,
    ),
    Case(
        "hourly_7d",
        "hourly series, last 7 days",
        {
            "measures": ["spend", "clicks", "ctr"],
            "timeDimensions": [
                {"dimension": "ts", "granularity": "hour", "dateRange": "last 7 days"}
            ],
        },
        f"""SELECT date_trunc('hour', ts), sum(spend), sum(clicks),
                   sum(clicks)::DOUBLE / nullif(sum(impressions), 0)
            FROM ad_performance WHERE workspace = 'default'
            AND {_HOUR_ROWS.format(hours=_HOURS)} GROUP BY 1""",
        7,
    ),
    Case(
        "events_5m_1d",
        "5-minute series of events by type, last day",
        {
            "measures": ["events", "event_value"],
            "dimensions": ["event"],
            "timeDimensions": [{"dimension": "ts", "granularity": "5m", "dateRange": "yesterday"}],
        },
        """SELECT time_bucket(INTERVAL 5 MINUTE, ts), event, count(*), sum(value)
            FROM events WHERE workspace = 'default'
            AND ts >= TIMESTAMP '2026-10-31' AND ts < TIMESTAMP '2026-11-01'
            GROUP BY 1, 2""",
        1,
    ),
)


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        ordered = sorted(self.samples_ms)
        index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        return ordered[index]


@dataclass
class CaseResult:
    case: Case
    rollup: str
    uncached: Timing
    cached: Timing
    engine_base: Timing
    baseline: Timing
    agrees: bool
    note: str = ""


def in_rounds(
    actions: Sequence[Callable[[], object]], runs: int, rounds: int = 2, warmup: int = 3
) -> list[Timing]:
    """Time several actions in ``rounds`` rounds: in each, each action in turn runs
    ``warmup`` times untimed, then its share of the ``runs`` timed, back to back.

    A shared machine speeds up and slows down by a third within minutes: actions measured
    one whole block after another would see different machines, so each action's runs are
    split over rounds. Alternating short turns is no cure: a query run right after a
    12M-row scan pays for it (with turns of 5 runs after 1 warm-up, even cached answers,
    which never reach DuckDB, took 0.16 ms instead of 0.08), so each action's runs stay
    back to back, after a warm-up, as a dashboard's steady stream of small queries is.
    """
    timings = [Timing() for _ in actions]
    for round_ in range(rounds):
        share = runs // rounds + (1 if round_ < runs % rounds else 0)
        for action, timing in zip(actions, timings, strict=True):
            for _ in range(warmup):
                action()
            for _ in range(share):
                started = time.perf_counter()
                action()
                timing.samples_ms.append((time.perf_counter() - started) * 1000)
    return timings


def measure(path: Path, runs: int) -> list[CaseResult]:
    results = []
    with open_store(path, read_only=True) as store:
        for case in CASES:
            print(f"  {case.name}", flush=True)
            first = run_query(store, case.request, now=NOW)
            with use_rollups(False):
                base_answer = run_query(store, case.request, now=NOW)
            baseline_rows = store.con.execute(case.baseline).fetchall()
            agrees, note = compare(first.data, base_answer.data, baseline_rows)
            cache = TieredCache(MemoryCache())
            run_query(store, case.request, now=NOW, cache=cache)

            def on_base(c: Case = case) -> object:
                with use_rollups(False):
                    return run_query(store, c.request, now=NOW)

            uncached, cached, engine_base, baseline = in_rounds(
                [
                    lambda c=case: run_query(store, c.request, now=NOW),
                    lambda c=case, t=cache: run_query(store, c.request, now=NOW, cache=t),
                    on_base,
                    lambda c=case: store.con.execute(c.baseline).fetchall(),
                ],
                runs,
            )
            results.append(
                CaseResult(
                    case,
                    first.metadata["rollup"],
                    uncached,
                    cached,
                    engine_base,
                    baseline,
                    agrees,
                    note,
                )
            )
    return results


def compare(
    planned: list[dict[str, Any]], base: list[dict[str, Any]], baseline: list[tuple[Any, ...]]
) -> tuple[bool, str]:
    """Same numbers from the planner, the engine on the base table and the hand-written SQL."""

    def numbers(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        out = []
        for row in rows:
            out.append(
                tuple(
                    round(v, 4) if isinstance(v, float) else v
                    for v in row
                    if isinstance(v, (int, float)) and not isinstance(v, bool)
                )
            )
        return sorted(out, key=repr)

    planned_rows = numbers([list(r.values()) for r in planned])
    base_rows = numbers([list(r.values()) for r in base])
    hand_rows = numbers(baseline)
    if planned_rows != base_rows:
        return False, "planner and base-table answers differ"
    # The engine adds change columns to comparisons; compare the columns both have.
    width = min((len(r) for r in hand_rows), default=0)
    if [r[:width] for r in planned_rows] != [r[:width] for r in hand_rows] and not _same_values(
        planned_rows, hand_rows
    ):
        return False, "engine and hand-written SQL differ"
    return True, ""


def _same_values(engine: list[tuple[Any, ...]], hand: list[tuple[Any, ...]]) -> bool:
    """Every hand-written value appears in the engine's row (engines order columns apart)."""
    if len(engine) != len(hand):
        return False
    return all(set(h) <= set(e) for e, h in zip(engine, hand, strict=True))


@dataclass
class Extension:
    export: str
    rows: int
    loads_s: list[float]  # each load's own time, into a fresh copy of the store
    refreshes_s: list[float]  # per load, the median of its rollup step re-run alone
    rollup_rows: dict[str, int]
    aggregated: bool  # the load's rows were grouped (False: appended as they are)

    @property
    def load_s(self) -> float:
        return statistics.median(self.loads_s)

    @property
    def refresh_s(self) -> float:
        return statistics.median(self.refreshes_s)


def measure_extension(
    path: Path, fmt: str, rows: int, seed: int, workdir: Path, loads: int, refreshes: int
) -> Extension:
    """Load a ``rows``-row export into ``loads`` fresh copies of the store; in each, time
    the load and its rollup step re-run ``refreshes`` times alone (median)."""
    import ingest as ingest_bench  # bench/ingest.py: its export generator

    export = ingest_bench.ensure_export(ingest_bench.FORMATS[fmt], rows, seed)
    copy = workdir / "extension.duckdb"
    loads_s: list[float] = []
    refreshes_s: list[float] = []
    for _ in range(loads):
        shutil.copyfile(path, copy)
        with open_store(copy) as store:
            started = time.perf_counter()
            report = ingest_file(store, export.path)
            loads_s.append(time.perf_counter() - started)
            assert report.ingest_id is not None and report.rows_loaded == rows, report
            # The refresh the load ran, again, timed alone; rolled back so nothing doubles.
            # Like the load, it appends rows as they are when no field is finer than a
            # campaign.
            aggregate = finer_than_groups(report.detection["columns"].values())
            times = []
            for _ in range(refreshes):
                store.con.execute("BEGIN TRANSACTION")
                try:
                    started = time.perf_counter()
                    written = refresh_rollups(
                        store.con,
                        "ad_performance",
                        report.ingest_id,
                        "default",
                        replaced=False,
                        aggregate=aggregate,
                    )
                    times.append(time.perf_counter() - started)
                finally:
                    store.con.execute("ROLLBACK")
            refreshes_s.append(statistics.median(times))
        copy.unlink()
    return Extension(fmt, rows, loads_s, refreshes_s, written, aggregate)


EXPORTS = {
    "google_ads": "Google Ads campaign report (one row per campaign-day: the rollup is as "
    "large as the load)",
    "meta": "Meta ad-level report (8 ads per campaign)",
}


# --------------------------------------------------------------------------------------------
# Report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(
    results: list[CaseResult],
    extensions: list[Extension],
    rows: int,
    built_s: float | None,
    command: str,
    runs: int,
) -> str:
    lines = [
        "## Queries (`bench/query.py`)",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}; Python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}",
        f"- store: {rows:,} fact rows (a year, 5 platforms; "
        + ("reused" if built_s is None else f"built in {built_s:.0f} s")
        + f"); {runs} runs per cell",
        f"- command: `{command}`",
        "- uncached: `run_query` without a cache (the planner picks a rollup or the base "
        "table); cached: with an in-process cache (hits); engine/base: `run_query` with "
        "rollups off; SQL/base: hand-written SQL on `ad_performance`, the baseline. "
        "Times in ms.",
        "",
        "| query | answered by | uncached p50 | uncached p99 | cached p50 | engine/base p50 "
        "| SQL/base p50 | speed-up vs SQL | same numbers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    checks: list[tuple[str, bool]] = []
    for r in results:
        speedup = r.baseline.p(0.5) / r.uncached.p(0.5)
        lines.append(
            f"| {r.case.what} | {r.rollup} | {r.uncached.p(0.5):.1f} | {r.uncached.p(0.99):.1f} "
            f"| {r.cached.p(0.5):.3f} | {r.engine_base.p(0.5):.1f} | {r.baseline.p(0.5):.1f} "
            f"| {speedup:.1f}x | {'yes' if r.agrees else 'NO: ' + r.note} |"
        )
        checks.append(
            (
                f"{r.case.name}: uncached p50 <= {TARGET_P50_MS:g} ms",
                r.uncached.p(0.5) <= TARGET_P50_MS,
            )
        )
        checks.append(
            (
                f"{r.case.name}: uncached p99 <= {TARGET_P99_MS:g} ms",
                r.uncached.p(0.99) <= TARGET_P99_MS,
            )
        )
        checks.append(
            (
                f"{r.case.name}: cached p50 <= {TARGET_CACHED_P50_MS:g} ms",
                r.cached.p(0.5) <= TARGET_CACHED_P50_MS,
            )
        )
        if r.case.days >= 30:
            checks.append(
                (
                    f"{r.case.name}: >= {TARGET_SPEEDUP:g}x the base-table SQL",
                    speedup >= TARGET_SPEEDUP,
                )
            )
        checks.append((f"{r.case.name}: same numbers", r.agrees))
    lines.append("")
    for ext in extensions:
        share = ext.refresh_s / ext.load_s
        written = ", ".join(f"{name} {count:,}" for name, count in ext.rollup_rows.items())
        loads = ", ".join(f"{t:.2f}" for t in ext.loads_s)
        refreshes = ", ".join(f"{t:.3f}" for t in ext.refreshes_s)
        lines += [
            f"Rollup extension, {EXPORTS[ext.export]}: {ext.rows:,} rows loaded into "
            f"{len(ext.loads_s)} fresh copies of the store in {loads} s (median "
            f"{ext.load_s:.2f} s); its rollup step, re-run alone in rolled-back transactions, "
            f"took {refreshes} s (median per load) = {share:.1%} of the load, medians "
            f"(rollup rows written: {written}; the load's rows "
            + ("grouped" if ext.aggregated else "appended as they are, no GROUP BY")
            + ", as the load did).",
            "",
        ]
        checks.append(
            (
                f"{ext.export}: rollup extension < {TARGET_EXTENSION:.0%} of the load",
                share < TARGET_EXTENSION,
            )
        )
    lines.append("Targets:")
    lines.append("")
    lines += [f"- {verdict(ok)} {what}" for what, ok in checks]
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=2000)
    parser.add_argument("--ads", type=int, default=12, help="ads per campaign on day rows")
    parser.add_argument("--hourly-ads", type=int, default=4, help="ads per campaign, hour rows")
    parser.add_argument("--runs", type=int, default=50, help="runs per query and method")
    parser.add_argument("--load-rows", type=int, default=1_000_000, help="0: skip the load")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--loads", type=int, default=3, help="loads timed per export")
    parser.add_argument("--refreshes", type=int, default=5, help="rollup re-runs per load")
    parser.add_argument("--quick", action="store_true", help="200 campaigns, 10 runs, 100k load")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.campaigns, args.runs, args.load_rows = 200, 10, 100_000
    command = "python bench/query.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    shape = Shape(args.campaigns, args.ads, args.hourly_ads)
    print(f"Store {shape.name}", flush=True)
    path, rows, built_s = ensure_store(shape)
    print(f"  {rows:,} rows" + ("" if built_s is None else f", built in {built_s:.0f} s"))
    results = measure(path, args.runs)
    extensions = []
    for fmt in EXPORTS if args.load_rows else ():
        print(f"Loading {args.load_rows:,} {fmt} rows into a copy", flush=True)
        extensions.append(
            measure_extension(
                path, fmt, args.load_rows, args.seed, DATA_DIR, args.loads, args.refreshes
            )
        )
    report = render(results, extensions, rows, built_s, command, args.runs)
    write_section(args.out, "query", report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
