"""The pre-aggregated rollups of ``ad_performance`` (and of ``events``), and their upkeep.
Two families of four tables (``adlens.store.migrations``): by campaign, named below, and by
platform (``rollup_ad_platform_day`` and so on: the same without campaign_id and
campaign_name, so a few rows per account and day; KPI tiles and series by platform or
channel read them).

- ``rollup_ad_day``: the day rows (``grain = 'day'``) grouped by workspace, platform,
  account_id, account_name, campaign_id, campaign_name, channel, currency and ``date``;
- ``rollup_ad_hour``: the hour rows (``grain = 'hour'``) grouped the same way and by
  ``ts`` (and ``date``, the account's day the row belongs to, which restatement keys on);
- ``rollup_ad_range``: the range rows (exports without a per-day breakdown) grouped the
  same way and by ``period_start`` and ``period_end``;
- ``rollup_ad_hour_day``: the hour rows summed per UTC day (``utc_date``) and ``date``.

Each row holds the sums of spend, spend_original, impressions, clicks, conversions and
conversion_value and ``row_count``, the number of fact rows summed (impressions and clicks
as BIGINT: one group's day never nears 9.2e18, and a sum that did would fail the load).

Keeping them current: ``refresh_rollups`` runs inside each load's transaction, after the
load's rows are final (restatement has deleted the older rows of the same account-days).
A load that replaced nothing appends the aggregates of its own rows (sums are additive, so
a group may have several rollup rows, which queries sum again; ``adlens compact`` merges
them). A load that replaced rows changed the sums of exactly the days of its rows
(restatement only deletes rows on those days): their rollup rows are deleted (in the whole
workspace, every platform: simple, and re-aggregating an unchanged platform-day writes the
same sums) and re-aggregated from the base table. Other days are never touched.
``rebuild_rollups`` recomputes everything (maintenance, tests, and after writes that bypass
loads, such as re-converting currencies).

Which rollup answers which query is the planner's business: ``adlens.query.rollups``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

EVENTS_TABLE, MINUTE = "events", "rollup_events_minute"
EVENT_GROUPS: tuple[str, ...] = (
    "workspace",
    "platform",
    "account_id",
    "campaign_id",
    "campaign_name",
    "channel",
    "event",
)
EVENT_SUMS: tuple[str, ...] = ("value",)
MINUTE_PLATFORM = "rollup_events_minute_platform"
EVENT_PLATFORM_GROUPS: tuple[str, ...] = ("workspace", "platform", "channel", "event")
# Coarsest first: the planner takes the first that answers a query exactly.
EVENT_ROLLUPS: dict[str, tuple[str, ...]] = {
    MINUTE_PLATFORM: EVENT_PLATFORM_GROUPS,
    MINUTE: EVENT_GROUPS,
}
BASE_TABLE = "ad_performance"
GROUP_COLUMNS: tuple[str, ...] = (
    "workspace",
    "platform",
    "account_id",
    "account_name",
    "campaign_id",
    "campaign_name",
    "channel",
    "currency",
)
PLATFORM_GROUP_COLUMNS: tuple[str, ...] = tuple(
    c for c in GROUP_COLUMNS if c not in ("campaign_id", "campaign_name")
)
SUM_COLUMNS: tuple[str, ...] = (
    "spend",
    "spend_original",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
)
ROW_COUNT = "row_count"


@dataclass(frozen=True)
class Family:
    """The four ad rollups at one level of detail: tables ``{prefix}_day``, ``_hour``,
    ``_range`` and ``_hour_day``, grouped by ``groups``; ``{prefix}_day_utc`` is a label
    (the day rollup with hour rows read per UTC day)."""

    prefix: str
    groups: tuple[str, ...]

    @property
    def day(self) -> str:
        return f"{self.prefix}_day"

    @property
    def hour(self) -> str:
        return f"{self.prefix}_hour"

    @property
    def range(self) -> str:
        return f"{self.prefix}_range"

    @property
    def hour_day(self) -> str:
        return f"{self.prefix}_hour_day"

    @property
    def day_utc(self) -> str:
        return f"{self.prefix}_day_utc"

    @property
    def tables(self) -> tuple[str, str, str, str]:
        return (self.day, self.hour, self.range, self.hour_day)


CAMPAIGNS = Family("rollup_ad", GROUP_COLUMNS)
PLATFORMS = Family("rollup_ad_platform", PLATFORM_GROUP_COLUMNS)
# Coarsest first: the planner takes the first that answers a query exactly.
FAMILIES: tuple[Family, ...] = (PLATFORMS, CAMPAIGNS)
DAY, HOUR, RANGE, HOUR_DAY = CAMPAIGNS.tables
DAY_UTC = CAMPAIGNS.day_utc
ROLLUPS: tuple[str, ...] = tuple(t for f in (CAMPAIGNS, PLATFORMS) for t in f.tables)
FAMILY_OF = {name: f for f in FAMILIES for name in (*f.tables, f.day_utc)}
# Fact dimensions finer than the groups: an export with one of them has many rows per group.
_FINER = frozenset(
    {
        "ad_group_id",
        "ad_group_name",
        "ad_id",
        "ad_name",
        "keyword",
        "match_type",
        "search_term",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
    }
)
_KIND = {
    t: kind
    for f in FAMILIES
    for t, kind in zip(f.tables, ("day", "hour", "range", "hour_day"), strict=True)
}
_GRAIN = {"day": "day", "hour": "hour", "range": "range", "hour_day": "hour"}
_TIME_COLUMNS = {
    "day": ("date",),
    "hour": ("date", "ts"),
    "range": ("period_start", "period_end"),
    "hour_day": ("date", "utc_date"),
}
_EXPRESSIONS = {"utc_date": "CAST(ts AS DATE)"}


# --- maintenance ----------------------------------------------------------------------------


def _aggregate(rollup: str, *, rows: bool = False) -> str:
    """``SELECT`` of a rollup's rows from the base table (its ``WHERE`` appended by callers).

    ``rows``: one rollup row per fact row (no ``GROUP BY`` follows), else aggregates.
    """
    kind = _KIND[rollup]
    keys = (*FAMILY_OF[rollup].groups, *_TIME_COLUMNS[kind])
    groups = ", ".join(_EXPRESSIONS.get(c, c) for c in keys)
    if rows:
        sums = ", ".join(SUM_COLUMNS) + ", 1"
    else:
        sums = ", ".join(f"sum({name})" for name in SUM_COLUMNS) + ", count(*)"
    return f"SELECT {groups}, {sums} FROM {BASE_TABLE} WHERE grain = '{_GRAIN[kind]}'"


def _insert(rollup: str) -> str:
    keys = (*FAMILY_OF[rollup].groups, *_TIME_COLUMNS[_KIND[rollup]])
    names = ", ".join((*keys, *SUM_COLUMNS, ROW_COUNT))
    return f"INSERT INTO {rollup} ({names}) "


_DAYS = "_adlens_rollup_days"
_IN_DAYS = f"EXISTS (SELECT 1 FROM {_DAYS} d WHERE d.date IS NOT DISTINCT FROM {{t}}.date)"


def refresh_rollups(
    con: duckdb.DuckDBPyConnection,
    target_table: str,
    ingest_id: int,
    workspace: str,
    *,
    replaced: bool = True,
    aggregate: bool = True,
) -> dict[str, int]:
    """Bring the rollups up to date with one load; returns rows written per rollup.

    Call inside the load's transaction, after its rows are final. Only ``ad_performance``
    has rollups (another ``target_table`` returns ``{}``).

    A load that removed no older rows (``replaced=False``: nothing restated) only adds
    rows, and sums are additive, so the aggregates of its own rows are appended: a rollup
    may then hold several rows for one group, which every query sums again anyway. With
    ``aggregate=False`` (an export with no column finer than a campaign, so about one row
    per group: see ``finer_than_groups``) its rows are appended to the campaign rollups as
    they are, sparing a GROUP BY that would not shrink them (the platform rollups are always
    grouped). A load that replaced rows re-aggregates the days it touched (matched
    NULL-safely) from the base table.
    """
    if target_table != BASE_TABLE:
        return {}
    if not replaced:
        return _append(con, ingest_id, aggregate)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_DAYS} AS SELECT DISTINCT date FROM {BASE_TABLE} "
        "WHERE workspace = ? AND ingest_id = ? AND grain IN ('day', 'hour')",
        [workspace, ingest_id],
    )
    written: dict[str, int] = {}
    try:
        for rollup in (t for f in FAMILIES for t in (f.day, f.hour, f.hour_day)):
            con.execute(
                f"DELETE FROM {rollup} WHERE workspace = ? AND {_IN_DAYS.format(t=rollup)}",
                [workspace],
            )
            rows = con.execute(
                _insert(rollup)
                + _aggregate(rollup)
                + f" AND workspace = ? AND {_IN_DAYS.format(t=BASE_TABLE)} GROUP BY ALL",
                [workspace],
            ).fetchall()
            written[rollup] = int(rows[0][0]) if rows else 0
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_DAYS}")
    # Range rows are few: the workspace's are re-aggregated whole.
    for rollup in (f.range for f in FAMILIES):
        con.execute(f"DELETE FROM {rollup} WHERE workspace = ?", [workspace])
        rows = con.execute(
            _insert(rollup) + _aggregate(rollup) + " AND workspace = ? GROUP BY ALL", [workspace]
        ).fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    return written


def _append(con: duckdb.DuckDBPyConnection, ingest_id: int, aggregate: bool) -> dict[str, int]:
    # A load is nearly always one grain: the rollups of the others would each scan its rows
    # to write nothing.
    grains = {
        str(row[0])
        for row in con.execute(
            f"SELECT DISTINCT grain FROM {BASE_TABLE} WHERE ingest_id = ?", [ingest_id]
        ).fetchall()
    }
    written: dict[str, int] = {}
    with _unordered(con):
        for rollup in ROLLUPS:
            if _GRAIN[_KIND[rollup]] not in grains:
                written[rollup] = 0
                continue
            if aggregate or FAMILY_OF[rollup] is not CAMPAIGNS:
                select = _aggregate(rollup) + " AND ingest_id = ? GROUP BY ALL"
            else:
                select = _aggregate(rollup, rows=True) + " AND ingest_id = ?"
            rows = con.execute(_insert(rollup) + select, [ingest_id]).fetchall()
            written[rollup] = int(rows[0][0]) if rows else 0
    return written


@contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB write appended rows in parallel, in any order (a load's rows are one
    stretch of time whatever their order): 17% faster on a 1M-row append."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def finer_than_groups(fields: Iterable[str]) -> bool:
    """Whether fact fields include one finer than the rollup groups (ad, keyword, UTM...).

    Without one, an export has about one row per rollup group and day, and grouping its
    rows would not make the rollup smaller.

    >>> finer_than_groups(["date", "campaign_name", "spend"]), finer_than_groups(["ad_name"])
    (False, True)
    """
    return any(name in _FINER for name in fields)


def _events_aggregate(rollup: str) -> str:
    groups = ", ".join(EVENT_ROLLUPS[rollup])
    return (
        f"INSERT INTO {rollup} SELECT {groups}, date_trunc('minute', ts), sum(value), count(*) "
        f"FROM {EVENTS_TABLE}"
    )


def extend_event_rollup(con: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, int]:
    """Append the minute aggregates of one batch of events; returns rows written per rollup.

    Events are only ever added, and sums are additive, so a minute may have several rows.
    """
    written: dict[str, int] = {}
    for rollup in EVENT_ROLLUPS:
        rows = con.execute(
            _events_aggregate(rollup) + " WHERE batch_id = ? GROUP BY ALL", [batch_id]
        )
        written[rollup] = int(rows.fetchall()[0][0])
    return written


def rebuild_rollups(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Recompute every rollup from the base table; returns rows written per rollup.

    Run it in a transaction (``Store.transaction``) when readers must never see it half done.
    """
    written: dict[str, int] = {}
    for rollup in ROLLUPS:
        con.execute(f"DELETE FROM {rollup}")
        # In time order, so each row group spans a short time and range queries skip most.
        order = ", ".join(_EXPRESSIONS.get(c, c) for c in _TIME_COLUMNS[_KIND[rollup]])
        rows = con.execute(
            _insert(rollup) + _aggregate(rollup) + f" GROUP BY ALL ORDER BY {order}"
        ).fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    for rollup, groups in EVENT_ROLLUPS.items():
        con.execute(f"DELETE FROM {rollup}")
        by_ts = len(groups) + 1
        rows = con.execute(_events_aggregate(rollup) + f" GROUP BY ALL ORDER BY {by_ts}").fetchall()
        written[rollup] = int(rows[0][0]) if rows else 0
    return written
