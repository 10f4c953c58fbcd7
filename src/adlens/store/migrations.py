"""Schema migrations for the DuckDB store, applied in order when a store opens.

Append a new step to ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

FACT_DDL = """
CREATE TABLE ad_performance (
    workspace VARCHAR NOT NULL DEFAULT 'default',
    ts TIMESTAMP,
    date DATE,
    account_timezone VARCHAR,
    grain VARCHAR NOT NULL CHECK (grain IN ('hour', 'day', 'range')),
    period_start DATE,
    period_end DATE,
    platform VARCHAR NOT NULL,
    account_id VARCHAR,
    account_name VARCHAR,
    campaign_id VARCHAR,
    campaign_name VARCHAR,
    ad_group_id VARCHAR,
    ad_group_name VARCHAR,
    ad_id VARCHAR,
    ad_name VARCHAR,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    utm_content VARCHAR,
    utm_term VARCHAR,
    keyword VARCHAR,
    match_type VARCHAR,
    search_term VARCHAR,
    channel VARCHAR,
    currency VARCHAR(3),
    spend_original DOUBLE,
    fx_rate DOUBLE,
    spend DOUBLE,
    impressions BIGINT,
    clicks BIGINT,
    conversions DOUBLE,
    conversion_value DOUBLE,
    ingest_id BIGINT NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL
)
"""

SESSIONS_DDL = """
CREATE TABLE sessions (
    workspace VARCHAR NOT NULL DEFAULT 'default',
    ts TIMESTAMP,
    date DATE,
    grain VARCHAR NOT NULL CHECK (grain IN ('hour', 'day', 'range')),
    period_start DATE,
    period_end DATE,
    platform VARCHAR NOT NULL,
    source VARCHAR,
    medium VARCHAR,
    campaign VARCHAR,
    channel VARCHAR,
    sessions BIGINT,
    engaged_sessions BIGINT,
    users BIGINT,
    conversions DOUBLE,
    revenue DOUBLE,
    ingest_id BIGINT NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL
)
"""

INGESTS_DDL = """
CREATE TABLE ingests (
    ingest_id BIGINT PRIMARY KEY,
    workspace VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    file_bytes BIGINT NOT NULL,
    platform VARCHAR NOT NULL,
    target_table VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    rows_replaced BIGINT NOT NULL,
    rows_changed BIGINT NOT NULL,
    period_start DATE,
    period_end DATE,
    quality_score DOUBLE,
    quality JSON,
    detection JSON,
    warnings JSON
)
"""

REJECTS_DDL = """
CREATE TABLE rejects (
    ingest_id BIGINT NOT NULL,
    workspace VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT,
    raw VARCHAR,
    reason VARCHAR NOT NULL
)
"""

FX_DDL = """
CREATE TABLE fx_rates (
    currency VARCHAR(3) NOT NULL,
    reporting_currency VARCHAR(3) NOT NULL,
    valid_from DATE NOT NULL,
    rate DOUBLE NOT NULL CHECK (rate > 0),
    PRIMARY KEY (currency, reporting_currency, valid_from)
)
"""

METRICS_DDL = """
CREATE TABLE metrics (
    workspace VARCHAR NOT NULL DEFAULT 'default',
    name VARCHAR NOT NULL,
    expression VARCHAR NOT NULL,
    format VARCHAR,
    description VARCHAR,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, name)
)
"""

DATA_VERSIONS_DDL = """
CREATE TABLE data_versions (
    workspace VARCHAR PRIMARY KEY,  -- '*' counts changes that touch every workspace
    version BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

# Pre-aggregated rollups of ad_performance (adlens.store.rollups): one row per group of
# day rows (by date) or of hour rows (by date and ts), with the sums and the row count.
# Range rows have their own rollup (below). Kept current by ``refresh_rollups`` in each load.
_ROLLUP_GROUPS = """
    workspace VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    account_id VARCHAR,
    account_name VARCHAR,
    campaign_id VARCHAR,
    campaign_name VARCHAR,
    channel VARCHAR,
    currency VARCHAR(3),
    date DATE,
"""
_ROLLUP_SUMS = """
    spend DOUBLE,
    spend_original DOUBLE,
    impressions HUGEINT,
    clicks HUGEINT,
    conversions DOUBLE,
    conversion_value DOUBLE,
    row_count BIGINT NOT NULL
"""
ROLLUP_AD_DAY_DDL = f"CREATE TABLE rollup_ad_day ({_ROLLUP_GROUPS}{_ROLLUP_SUMS})"
ROLLUP_AD_HOUR_DDL = (
    f"CREATE TABLE rollup_ad_hour ({_ROLLUP_GROUPS}    ts TIMESTAMP,{_ROLLUP_SUMS})"
)
# Range rows (exports without a per-day breakdown) grouped the same way by their period, so
# totals over a time range are answered from rollups too; filled from the rows already there.
_RANGE_GROUPS = _ROLLUP_GROUPS.replace("    date DATE,\n", "")
_SUMMED = (
    "sum(spend), sum(spend_original), sum(impressions), sum(clicks), sum(conversions), "
    "sum(conversion_value), count(*)"
)
_RANGE_KEYS = (
    "workspace, platform, account_id, account_name, campaign_id, campaign_name, channel, "
    "currency, period_start, period_end"
)
ROLLUP_AD_RANGE_DDL = (
    f"CREATE TABLE rollup_ad_range ({_RANGE_GROUPS}    period_start DATE,\n"
    f"    period_end DATE,{_ROLLUP_SUMS})"
)
ROLLUP_AD_RANGE_FILL = (
    f"INSERT INTO rollup_ad_range SELECT {_RANGE_KEYS}, {_SUMMED} FROM ad_performance "
    f"WHERE grain = 'range' GROUP BY {_RANGE_KEYS}"
)
# Hour rows summed per UTC day (and account day, which restatement keys on): day series and
# totals in UTC over whole days read these instead of every hour.
ROLLUP_AD_HOUR_DAY_DDL = (
    f"CREATE TABLE rollup_ad_hour_day ({_ROLLUP_GROUPS}    utc_date DATE,{_ROLLUP_SUMS})"
)
_HOUR_DAY_KEYS = _RANGE_KEYS.replace("period_start, period_end", "date")
ROLLUP_AD_HOUR_DAY_FILL = (
    f"INSERT INTO rollup_ad_hour_day SELECT {_HOUR_DAY_KEYS}, CAST(ts AS DATE), {_SUMMED} "
    f"FROM ad_performance WHERE grain = 'hour' GROUP BY {_HOUR_DAY_KEYS}, CAST(ts AS DATE)"
)
# Event streams (adlens.events): instants, not periods; rolled up per minute.
EVENTS_DDL = """
CREATE TABLE events (
    workspace VARCHAR NOT NULL DEFAULT 'default',
    ts TIMESTAMP NOT NULL,
    platform VARCHAR NOT NULL,
    account_id VARCHAR,
    campaign_id VARCHAR,
    campaign_name VARCHAR,
    channel VARCHAR,
    event VARCHAR NOT NULL,
    value DOUBLE,
    event_id VARCHAR,
    batch_id BIGINT NOT NULL,
    source VARCHAR NOT NULL
)
"""
ROLLUP_EVENTS_MINUTE_DDL = """
CREATE TABLE rollup_events_minute (
    workspace VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    account_id VARCHAR,
    campaign_id VARCHAR,
    campaign_name VARCHAR,
    channel VARCHAR,
    event VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    value DOUBLE,
    row_count BIGINT NOT NULL
)
"""

# Raw campaign names (facts' campaign_name, GA4's session campaign) -> canonical campaign
# (adlens.consolidate). 'override' rows are a person's decision and win on every rebuild.
CAMPAIGN_MAP_DDL = """
CREATE TABLE campaign_map (
    workspace VARCHAR NOT NULL DEFAULT 'default',
    platform VARCHAR NOT NULL,
    campaign_name VARCHAR NOT NULL,
    canonical_campaign VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    method VARCHAR NOT NULL CHECK (method IN ('auto', 'override')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, platform, campaign_name)
)
"""

ANOMALIES_DDL = """
CREATE TABLE anomalies (
    anomaly_id BIGINT PRIMARY KEY,
    workspace VARCHAR NOT NULL,
    platform VARCHAR,
    account_id VARCHAR,
    campaign_name VARCHAR,
    metric VARCHAR NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    actual DOUBLE,
    expected_low DOUBLE,
    expected_high DOUBLE,
    deviation DOUBLE,
    severity DOUBLE NOT NULL CHECK (severity BETWEEN 0 AND 1),
    money_at_stake DOUBLE,
    driver VARCHAR,
    triage VARCHAR NOT NULL CHECK (triage IN ('data problem', 'performance change')),
    explanation VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    related_metrics VARCHAR,
    model_score DOUBLE,
    detected_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
# What the query planner reads (adlens.query.rollups): rollups shaped like the base table,
# several read together. Views keep the compiled queries short.
_SUMS_AND_GROUPS = (
    "workspace, platform, account_id, account_name, campaign_id, campaign_name, channel, "
    "currency, spend, spend_original, impressions, clicks, conversions, conversion_value, "
    "row_count"
)
_AS_DAY = (
    f"SELECT {_SUMS_AND_GROUPS}, date, date AS period_start, date AS period_end, "
    "CAST(NULL AS TIMESTAMP) AS ts, 'day' AS grain FROM rollup_ad_day"
)
_AS_HOUR = (
    f"SELECT {_SUMS_AND_GROUPS}, date, date AS period_start, date AS period_end, ts, "
    "'hour' AS grain FROM rollup_ad_hour"
)
_AS_HOUR_DAY = (
    f"SELECT {_SUMS_AND_GROUPS}, date, date AS period_start, date AS period_end, "
    "CAST(utc_date AS TIMESTAMP) AS ts, 'hour' AS grain FROM rollup_ad_hour_day"
)
_AS_RANGE = (
    f"SELECT {_SUMS_AND_GROUPS}, CAST(NULL AS DATE) AS date, period_start, period_end, "
    "CAST(NULL AS TIMESTAMP) AS ts, 'range' AS grain FROM rollup_ad_range"
)
_EVENT_COLUMNS = (
    "workspace, platform, account_id, campaign_id, campaign_name, channel, event, value, "
    "{count}, date_trunc('minute', ts) AS ts, 'minute' AS grain, CAST(NULL AS DATE) AS date, "
    "CAST(NULL AS DATE) AS period_start, CAST(NULL AS DATE) AS period_end"
)
QUERY_VIEWS: dict[str, tuple[str, ...]] = {
    "q_rollup_ad_day": (_AS_DAY, _AS_HOUR, _AS_RANGE),
    "q_rollup_ad_day_utc": (_AS_DAY, _AS_HOUR_DAY, _AS_RANGE),
    "q_rollup_ad_hour": (_AS_HOUR,),
    "q_rollup_ad_range": (_AS_RANGE,),
    "q_rollup_ad_range_day": (_AS_RANGE, _AS_DAY),
    "q_rollup_events_minute": (
        f"SELECT {_EVENT_COLUMNS.format(count='row_count')} FROM rollup_events_minute",
    ),
    "q_events": (f"SELECT {_EVENT_COLUMNS.format(count='1 AS row_count')} FROM events",),
}
# Events per minute without accounts and campaigns: most live charts ask by event and platform.
ROLLUP_EVENTS_PLATFORM_DDL = """
CREATE TABLE rollup_events_minute_platform (
    workspace VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    channel VARCHAR,
    event VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    value DOUBLE,
    row_count BIGINT NOT NULL
)
"""
ROLLUP_EVENTS_PLATFORM_FILL = (
    "INSERT INTO rollup_events_minute_platform SELECT workspace, platform, channel, event, "
    "date_trunc('minute', ts), sum(value), count(*) FROM events GROUP BY ALL ORDER BY 5"
)
ROLLUP_EVENTS_PLATFORM_VIEW = (
    "CREATE VIEW q_rollup_events_minute_platform AS SELECT workspace, platform, channel, "
    "event, value, row_count, ts, 'minute' AS grain, CAST(NULL AS DATE) AS date, "
    "CAST(NULL AS DATE) AS period_start, CAST(NULL AS DATE) AS period_end "
    "FROM rollup_events_minute_platform"
)
QUERY_VIEWS_DDL = tuple(
    f"CREATE VIEW {name} AS {' UNION ALL '.join(parts)}" for name, parts in QUERY_VIEWS.items()
)


# Ad rollups by platform (adlens.store.rollups.PLATFORMS): the campaign rollups without
# campaign_id and campaign_name, filled from them (sums are additive), in time order.
def _platform_view(name: str) -> str:
    return f"q_rollup_ad_platform{name.removeprefix('q_rollup_ad')}"


def _platform_part(part: str) -> str:
    return part.replace(
        "campaign_id, campaign_name, ",
        "CAST(NULL AS VARCHAR) AS campaign_id, CAST(NULL AS VARCHAR) AS campaign_name, ",
    ).replace("FROM rollup_ad_", "FROM rollup_ad_platform_")


_PLATFORM_KEYS = "workspace, platform, account_id, account_name, channel, currency"
_PLATFORM_GROUPS_DDL = _ROLLUP_GROUPS.replace(
    "    campaign_id VARCHAR,\n    campaign_name VARCHAR,\n", ""
)
_BIGINT_SUMS = _ROLLUP_SUMS.replace("HUGEINT", "BIGINT")
_MERGED_SUMS = (
    "sum(spend), sum(spend_original), sum(impressions), sum(clicks), sum(conversions), "
    "sum(conversion_value), sum(row_count)"
)
_PLATFORM_TABLES = {  # table: (extra key columns DDL, key columns, order)
    "day": ("", "date", "date"),
    "hour": ("    ts TIMESTAMP,", "date, ts", "ts"),
    "hour_day": ("    utc_date DATE,", "date, utc_date", "utc_date"),
}
PLATFORM_ROLLUPS: tuple[str, ...] = (
    # One group's day never nears 9.2e18 impressions; BIGINT sums read several times faster.
    *(
        f"ALTER TABLE rollup_ad_{kind} ALTER {name} TYPE BIGINT"
        for kind in ("day", "hour", "range", "hour_day")
        for name in ("impressions", "clicks")
    ),
    *(
        f"CREATE TABLE rollup_ad_platform_{kind} ({_PLATFORM_GROUPS_DDL}{extra}{_BIGINT_SUMS})"
        for kind, (extra, _, _) in _PLATFORM_TABLES.items()
    ),
    "CREATE TABLE rollup_ad_platform_range ("
    + _PLATFORM_GROUPS_DDL.replace("    date DATE,\n", "")
    + f"    period_start DATE,\n    period_end DATE,{_BIGINT_SUMS})",
    *(
        f"INSERT INTO rollup_ad_platform_{kind} SELECT {_PLATFORM_KEYS}, {keys}, "
        f"{_MERGED_SUMS} FROM rollup_ad_{kind} GROUP BY ALL ORDER BY {order}"
        for kind, (_, keys, order) in _PLATFORM_TABLES.items()
    ),
    f"INSERT INTO rollup_ad_platform_range SELECT {_PLATFORM_KEYS}, period_start, period_end, "
    f"{_MERGED_SUMS} FROM rollup_ad_range GROUP BY ALL",
    *(
        f"CREATE VIEW {_platform_view(name)} AS "
        + " UNION ALL ".join(_platform_part(part) for part in parts)
        for name, parts in QUERY_VIEWS.items()
        if name.startswith("q_rollup_ad_")
    ),
)

# What each ad rollup view reads: per table, the SELECT shaping its rows like the base
# table's (the query planner reads only the tables with rows, adlens.query.rollups).
VIEW_PARTS: dict[str, dict[str, str]] = {
    view: {part.rsplit(" FROM ", 1)[1]: part for part in parts}
    for name, parts in QUERY_VIEWS.items()
    if name.startswith("q_rollup_ad_")
    for view, parts in (
        (name, parts),
        (_platform_view(name), tuple(_platform_part(part) for part in parts)),
    )
}


def part_kind(table: str) -> str:
    """``day``, ``hour``, ``hour_day`` or ``range``: which rollup a table is, in its family.

    >>> part_kind("rollup_ad_platform_hour_day"), part_kind("rollup_ad_range")
    ('hour_day', 'range')
    """
    return table.removeprefix("rollup_ad_").removeprefix("platform_")


def without_view(view: str, missing: Iterable[str]) -> str:
    """The view reading what ``view`` reads except the tables of kinds ``missing``.

    >>> without_view("q_rollup_ad_day_utc", ["range", "hour_day"])
    'q_rollup_ad_day_utc_without_hour_day_range'
    """
    return f"{view}_without_{'_'.join(sorted(missing))}"


# The views of rollups read by queries, less the tables a workspace has no rows in: most
# stores hold no range rows, many no hour rows, and each table a query names costs DuckDB
# planning time however few rows it holds (adlens.query.rollups picks the view).
PRUNED_VIEWS_DDL = tuple(
    f"CREATE VIEW {without_view(view, map(part_kind, missing))} AS "
    + " UNION ALL ".join(sql for table, sql in parts.items() if table not in missing)
    for view, parts in VIEW_PARTS.items()
    if len(parts) == 3
    for size in (1, 2)
    for missing in combinations(sorted(parts), size)
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        FACT_DDL,
        SESSIONS_DDL,
        INGESTS_DDL,
        REJECTS_DDL,
        FX_DDL,
        "CREATE SEQUENCE ingest_id_seq START 1",
    ),
    # Custom metrics of the query engine's semantic layer (adlens.query.metrics).
    (METRICS_DDL,),
    # A counter per workspace that every change to stored answers bumps (cache keys use it).
    (DATA_VERSIONS_DDL,),
    # Rollups the query planner reads when they answer a query exactly (adlens.query.rollups).
    (ROLLUP_AD_DAY_DDL, ROLLUP_AD_HOUR_DDL),
    (ROLLUP_AD_RANGE_DDL, ROLLUP_AD_RANGE_FILL),
    (ROLLUP_AD_HOUR_DAY_DDL, ROLLUP_AD_HOUR_DAY_FILL),
    (EVENTS_DDL, ROLLUP_EVENTS_MINUTE_DDL, "CREATE SEQUENCE event_batch_seq START 1"),
    # Canonical campaigns across platforms and GA4 (adlens.consolidate).
    (CAMPAIGN_MAP_DDL,),
    # Incidents found by anomaly detection over the facts (adlens.anomaly).
    (ANOMALIES_DDL, "CREATE SEQUENCE anomaly_id_seq START 1"),
    # Views of the rollups the query planner reads (after every rollup table exists).
    QUERY_VIEWS_DDL,
    (ROLLUP_EVENTS_PLATFORM_DDL, ROLLUP_EVENTS_PLATFORM_FILL, ROLLUP_EVENTS_PLATFORM_VIEW),
    PLATFORM_ROLLUPS,
    PRUNED_VIEWS_DDL,
)
