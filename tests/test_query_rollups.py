"""Rollups: kept exact by incremental refreshes, and read by the planner only when exact.

The property test compares every answer the planner gives (rollup or base) with the answer
of the same query with rollups off (``use_rollups(False)``: the base table), over facts
loaded in several loads, one of them a restatement. The whole-result tests compare each
rollup table with a GROUP BY of the base table written here by hand, and use DuckDB's
``rowid`` to show that a refresh rewrites only the days a load touched.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adlens.ingest import ingest_file
from adlens.ingest.restate import replace_restated
from adlens.query import register_metric, run_query
from adlens.query.rollups import answerable, enable_rollups, rollups_enabled, use_rollups
from adlens.store import Store, open_store
from adlens.store.rollups import rebuild_rollups, refresh_rollups

from .conftest import write
from .query_helpers import day, hour, insert_facts, period, rounded

ROLLUP_DIMENSIONS = ["platform", "account_id", "campaign_name", "channel", "currency"]
OTHER_DIMENSIONS = ["utm_source", "ad_name"]
GROUPS = (
    "workspace, platform, account_id, account_name, campaign_id, campaign_name, channel, currency"
)
PLATFORM_GROUPS = "workspace, platform, account_id, account_name, channel, currency"
SUMS = (
    "sum(spend), sum(spend_original), sum(impressions), sum(clicks), sum(conversions), "
    "sum(conversion_value), count(*)"
)
# Loads that replace nothing append their aggregates, so a group may have several rows.
_MERGED = ", ".join(
    f"sum({name}) AS {name}"
    for name in (
        "spend",
        "spend_original",
        "impressions",
        "clicks",
        "conversions",
        "conversion_value",
        "row_count",
    )
)
EXPECTED: dict[str, str] = {}
STORED: dict[str, str] = {}
for _prefix, _groups in (("rollup_ad", GROUPS), ("rollup_ad_platform", PLATFORM_GROUPS)):
    EXPECTED |= {
        f"{_prefix}_day": f"SELECT {_groups}, date, {SUMS} FROM ad_performance "
        f"WHERE grain = 'day' GROUP BY {_groups}, date",
        f"{_prefix}_hour": f"SELECT {_groups}, date, ts, {SUMS} FROM ad_performance "
        f"WHERE grain = 'hour' GROUP BY {_groups}, date, ts",
        f"{_prefix}_range": f"SELECT {_groups}, period_start, period_end, {SUMS} "
        f"FROM ad_performance WHERE grain = 'range' GROUP BY {_groups}, period_start, period_end",
        f"{_prefix}_hour_day": f"SELECT {_groups}, date, ts::DATE, {SUMS} FROM ad_performance "
        f"WHERE grain = 'hour' GROUP BY {_groups}, date, ts::DATE",
    }
    STORED |= {
        f"{_prefix}_day": f"SELECT {_groups}, date, {_MERGED} FROM {_prefix}_day "
        f"GROUP BY {_groups}, date",
        f"{_prefix}_hour": f"SELECT {_groups}, date, ts, {_MERGED} FROM {_prefix}_hour "
        f"GROUP BY {_groups}, date, ts",
        f"{_prefix}_range": f"SELECT {_groups}, period_start, period_end, {_MERGED} "
        f"FROM {_prefix}_range GROUP BY {_groups}, period_start, period_end",
        f"{_prefix}_hour_day": f"SELECT {_groups}, date, utc_date, {_MERGED} "
        f"FROM {_prefix}_hour_day GROUP BY {_groups}, date, utc_date",
    }


# --- helpers --------------------------------------------------------------------------------


def load_rows(
    store: Store, rows: list[dict[str, Any]], ingest_id: int, workspace: str = "default"
) -> dict[str, int]:
    """A load without a file: insert, restate older rows, refresh rollups, in one transaction."""
    with store.transaction() as con:
        if rows:
            insert_facts(
                store,
                [{**r, "ingest_id": ingest_id, "workspace": workspace} for r in rows],
                rollups=False,
            )
        replaced = 0
        for platform in sorted({r.get("platform", "meta") for r in rows}):
            replaced += replace_restated(con, "ad_performance", ingest_id, workspace, platform)[0]
        return refresh_rollups(con, "ad_performance", ingest_id, workspace, replaced=replaced > 0)


def load_file(store: Store, path: Path, workspace: str = "default") -> dict[str, int]:
    """``ingest_file`` (which refreshes the rollups); returns rollup rows on the load's days."""
    report = ingest_file(store, path, workspace=workspace)
    assert report.status == "loaded" and report.ingest_id is not None, report
    days = "date IN (SELECT date FROM ad_performance WHERE ingest_id = ?) AND workspace = ?"
    return {
        table: int(
            store.con.execute(
                f"SELECT count(*) FROM {table} WHERE {days}", [report.ingest_id, workspace]
            ).fetchall()[0][0]
        )
        for table in ("rollup_ad_day", "rollup_ad_hour")
    }


def sorted_rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return sorted(store.con.execute(sql).fetchall(), key=repr)


def assert_rollups_exact(store: Store) -> None:
    """Each rollup holds exactly the GROUP BY of the base table (all days, all workspaces)."""
    for table, expected in EXPECTED.items():
        assert sorted_rows(store, STORED[table]) == sorted_rows(store, expected), table


def with_rowids(store: Store, table: str, where: str) -> list[tuple[Any, ...]]:
    """Rows (and their rowids: a rewritten row gets a new one) of a rollup."""
    return sorted_rows(store, f"SELECT rowid, * FROM {table} WHERE {where}")


GOOGLE_HEADER = "Day,Account,Campaign,Currency code,Impr.,Clicks,Cost,Conversions"


def google_export(path: Path, rows: list[str]) -> Path:
    title = ["Campaign report", '"March 1, 2025 - March 9, 2025"', GOOGLE_HEADER]
    return write(path, "\n".join([*title, *rows]))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "rollups.duckdb") as opened:
        yield opened


# --- maintenance: whole tables --------------------------------------------------------------


def test_second_load_and_restatement_refresh_only_their_days(store: Store, tmp_path: Path) -> None:
    first = google_export(
        tmp_path / "a.csv",
        [
            "2025-03-01,Acme,Brand,USD,100,10,10.00,1",
            "2025-03-01,Acme,Search,USD,50,5,5.00,0",
            "2025-03-02,Acme,Brand,USD,80,8,8.00,2",
            "2025-03-02,Other,Brand,USD,20,2,2.00,0",
            "2025-03-03,Acme,Brand,USD,30,3,3.00,0",
        ],
    )
    assert load_file(store, first) == {"rollup_ad_day": 5, "rollup_ad_hour": 0}
    assert_rollups_exact(store)

    second = google_export(tmp_path / "b.csv", ["2025-03-04,Acme,Brand,USD,40,4,4.00,1"])
    before = with_rowids(store, "rollup_ad_day", "date <= DATE '2025-03-03'")
    assert load_file(store, second) == {"rollup_ad_day": 1, "rollup_ad_hour": 0}
    assert_rollups_exact(store)
    assert with_rowids(store, "rollup_ad_day", "date <= DATE '2025-03-03'") == before

    # Acme restates 2025-03-02 (Brand changed, a new Search row); Other keeps its day.
    restated = google_export(
        tmp_path / "c.csv",
        ["2025-03-02,Acme,Brand,USD,90,9,9.50,3", "2025-03-02,Acme,Search,USD,10,1,1.00,0"],
    )
    untouched = "date <> DATE '2025-03-02'"
    before = with_rowids(store, "rollup_ad_day", untouched)
    assert load_file(store, restated) == {"rollup_ad_day": 3, "rollup_ad_hour": 0}
    assert_rollups_exact(store)
    assert with_rowids(store, "rollup_ad_day", untouched) == before
    day_two = store.query(
        "SELECT account_name, campaign_name, spend, impressions, row_count FROM rollup_ad_day "
        "WHERE date = DATE '2025-03-02' ORDER BY ALL"
    )
    assert day_two == [
        {
            "account_name": "Acme",
            "campaign_name": "Brand",
            "spend": 9.5,
            "impressions": 90,
            "row_count": 1,
        },
        {
            "account_name": "Acme",
            "campaign_name": "Search",
            "spend": 1.0,
            "impressions": 10,
            "row_count": 1,
        },
        {
            "account_name": "Other",
            "campaign_name": "Brand",
            "spend": 2.0,
            "impressions": 20,
            "row_count": 1,
        },
    ]


def test_appending_loads_group_ad_level_rows_and_keep_campaign_rows(store: Store) -> None:
    ads = [day("2025-03-01", campaign_name="A", ad_name=f"ad {n}", spend=1.0) for n in range(3)]
    campaigns = [day("2025-03-02", campaign_name="A", spend=2.0)] * 2
    with store.transaction() as con:
        insert_facts(store, [{**r, "ingest_id": 1} for r in ads], rollups=False)
        assert (
            refresh_rollups(con, "ad_performance", 1, "default", replaced=False)["rollup_ad_day"]
            == 1
        )  # three ads of one campaign-day: one rollup row
        insert_facts(store, [{**r, "ingest_id": 2} for r in campaigns], rollups=False)
        written = refresh_rollups(
            con, "ad_performance", 2, "default", replaced=False, aggregate=False
        )
        assert written["rollup_ad_day"] == 2  # appended as they are, no GROUP BY
    assert store.query("SELECT date, spend, row_count FROM rollup_ad_day ORDER BY date, spend") == [
        {"date": date(2025, 3, 1), "spend": 3.0, "row_count": 3},
        {"date": date(2025, 3, 2), "spend": 2.0, "row_count": 1},
        {"date": date(2025, 3, 2), "spend": 2.0, "row_count": 1},
    ]
    assert_rollups_exact(store)
    daily = run_query(store, series("day"))
    assert daily.data == [
        {"ts.day": "2025-03-01", "spend": 3.0},
        {"ts.day": "2025-03-02", "spend": 4.0},
    ]
    assert daily.metadata["rollup"] == "rollup_ad_platform_day_utc"
    by_campaign = run_query(store, series(None, dimensions=["campaign_name"]))
    assert by_campaign.metadata["rollup"] == "rollup_ad_day_utc"
    with use_rollups(False):
        assert by_campaign.data == run_query(store, series(None, dimensions=["campaign_name"])).data


def test_workspaces_are_refreshed_apart(store: Store, tmp_path: Path) -> None:
    rows = ["2025-03-01,Acme,Brand,USD,100,10,10.00,1", "2025-03-02,Acme,Brand,USD,80,8,8.00,2"]
    load_file(store, google_export(tmp_path / "a.csv", rows), workspace="a")
    load_file(store, google_export(tmp_path / "b.csv", rows), workspace="b")
    b_before = with_rowids(store, "rollup_ad_day", "workspace = 'b'")
    restated = google_export(tmp_path / "a2.csv", ["2025-03-01,Acme,Brand,USD,1,1,1.00,1"])
    load_file(store, restated, workspace="a")
    assert_rollups_exact(store)
    assert with_rowids(store, "rollup_ad_day", "workspace = 'b'") == b_before
    request = {
        "measures": ["spend", "ctr"],
        "timeDimensions": [{"dimension": "ts", "granularity": "day"}],
    }
    with use_rollups():
        a = run_query(store, request, workspace="a")
        b = run_query(store, request, workspace="b")
    assert (a.metadata["rollup"], b.metadata["rollup"]) == ("rollup_ad_platform_day_utc",) * 2
    assert rounded(a.data) == rounded(
        [
            {"ts.day": "2025-03-01", "spend": 1.0, "ctr": 1.0},
            {"ts.day": "2025-03-02", "spend": 8.0, "ctr": 0.1},
        ]
    )
    assert rounded(b.data) == rounded(
        [
            {"ts.day": "2025-03-01", "spend": 10.0, "ctr": 0.1},
            {"ts.day": "2025-03-02", "spend": 8.0, "ctr": 0.1},
        ]
    )


def test_hour_rows_null_keys_and_range_rows(store: Store) -> None:
    load_rows(
        store,
        [
            hour("2025-03-01T10:00", spend=1.0, impressions=10, clicks=1),
            hour("2025-03-01T10:00", spend=2.0, impressions=20, clicks=2),
            hour("2025-03-01T11:00", spend=4.0, impressions=40, clicks=None),
            day("2025-03-01", currency=None, spend=8.0, impressions=80, clicks=8),
            period("2025-03-01", "2025-03-31", spend=100.0, impressions=1000, clicks=10),
        ],
        ingest_id=1,
    )
    assert_rollups_exact(store)
    assert store.query(STORED["rollup_ad_hour"] + " ORDER BY ts") == [
        {
            **dict.fromkeys(GROUPS.split(", ")),
            "workspace": "default",
            "platform": "meta",
            "currency": "USD",
            "date": date(2025, 3, 1),
            "ts": datetime(2025, 3, 1, hour),
            "spend": spend,
            "spend_original": None,
            "impressions": impressions,
            "clicks": clicks,
            "conversions": None,
            "conversion_value": None,
            "row_count": count,
        }
        for hour, spend, impressions, clicks, count in [(10, 3.0, 30, 3, 2), (11, 4.0, 40, None, 1)]
    ]
    hourly = {"measures": ["spend", "clicks", "ctr"]}
    hourly["timeDimensions"] = [{"dimension": "ts", "granularity": "hour"}]  # type: ignore[list-item]
    with use_rollups():
        answer = run_query(store, hourly)
    with use_rollups(False):
        base = run_query(store, hourly)
    assert answer.metadata["rollup"] == "rollup_ad_platform_hour"
    assert answer.metadata["grain_rows_excluded"] == base.metadata["grain_rows_excluded"]
    assert answer.metadata["grain_rows_excluded"]["count"] == 1
    assert answer.metadata["range_rows_excluded"]["count"] == 1
    assert (
        answer.data
        == base.data
        == [
            {"ts.hour": "2025-03-01T10:00:00", "spend": 3.0, "clicks": 3, "ctr": 0.1},
            {"ts.hour": "2025-03-01T11:00:00", "spend": 4.0, "clicks": None, "ctr": None},
        ]
    )


def test_rebuild_equals_the_incremental_refreshes(store: Store) -> None:
    load_rows(store, [day("2025-03-01", spend=1.0), day("2025-03-02", spend=2.0)], ingest_id=1)
    load_rows(store, [day("2025-03-02", spend=5.0), hour("2025-03-02T03:00")], ingest_id=2)
    incremental = sorted_rows(store, "SELECT * FROM rollup_ad_day")
    assert rebuild_rollups(store.con) == {
        "rollup_ad_day": 2,
        "rollup_ad_hour": 1,
        "rollup_ad_range": 0,
        "rollup_ad_hour_day": 1,
        "rollup_ad_platform_day": 2,
        "rollup_ad_platform_hour": 1,
        "rollup_ad_platform_range": 0,
        "rollup_ad_platform_hour_day": 1,
        "rollup_events_minute": 0,
        "rollup_events_minute_platform": 0,
    }
    assert sorted_rows(store, "SELECT * FROM rollup_ad_day") == incremental
    assert_rollups_exact(store)


def test_the_switch_is_on_by_default_and_a_block_overrides_the_process(store: Store) -> None:
    load_rows(store, [day("2025-03-01", spend=2.0)], ingest_id=1)
    request = series("day")
    assert rollups_enabled()
    assert run_query(store, request).metadata["rollup"] == "rollup_ad_platform_day_utc"
    with use_rollups(False):
        assert run_query(store, request).metadata["rollup"] == "base"
    enable_rollups(False)
    try:
        assert run_query(store, request).metadata["rollup"] == "base"
    finally:
        enable_rollups(True)
    assert rollups_enabled()


def test_sessions_have_no_rollups(store: Store) -> None:
    assert refresh_rollups(store.con, "sessions", 1, "default") == {}


# --- planning: when a rollup answers --------------------------------------------------------


def series(granularity: str | None, **extra: Any) -> dict[str, Any]:
    time: dict[str, Any] = {"dimension": "ts"}
    if granularity:
        time["granularity"] = granularity
    return {"measures": ["spend"], "timeDimensions": [time], **extra}


@pytest.mark.parametrize(
    ("request_", "rollup"),
    [
        (series("day"), "rollup_ad_platform_day_utc"),
        (series("month", dimensions=["campaign_name", "currency"]), "rollup_ad_day_utc"),
        (series("week", measures=["cpm", "roas", "aov"]), "rollup_ad_platform_day_utc"),
        (series("hour"), "rollup_ad_platform_hour"),
        (series("hour", dimensions=["campaign_id"]), "rollup_ad_hour"),
        (series("15m"), "base"),
        (series(None), "rollup_ad_platform_day_utc"),  # with the range rollup
        (series("day", timezone="Europe/Berlin"), "rollup_ad_platform_day"),  # by local day
        (
            series(
                "day",
                timeDimensions=[
                    {"dimension": "ts", "granularity": "day", "dateRange": "last 36 hours"}
                ],
            ),
            "rollup_ad_platform_day",
        ),
        (series(None, dimensions=["ad_name"]), "base"),
        (series("day", dimensions=["utm_source"]), "base"),
        (series("day", filters=[{"member": "ad_name", "operator": "set"}]), "base"),
        (
            series("day", filters=[{"member": "channel", "operator": "contains", "values": ["x"]}]),
            "rollup_ad_platform_day_utc",
        ),
        (
            series("day", filters=[{"member": "spend", "operator": "gt", "values": [1]}]),
            "rollup_ad_platform_day_utc",
        ),
        (series("day", measures=["sessions"]), "base"),
        (series("day", measures=["spend", "rows"]), "rollup_ad_platform_day_utc"),
        (series("day", measures=["biggest"]), "base"),
        (series("day", measures=["brand_spend"]), "rollup_ad_day_utc"),
        (series("day", measures=["search_spend"]), "base"),
    ],
)
def test_which_source_answers(store: Store, request_: dict[str, Any], rollup: str) -> None:
    register_metric(store, "rows", "COUNT(*)")
    register_metric(store, "biggest", "MAX(spend)")
    register_metric(store, "brand_spend", "SUM(CASE WHEN campaign_name = 'Brand' THEN spend END)")
    register_metric(store, "search_spend", "SUM(CASE WHEN ad_name = 'x' THEN spend END)")
    # Two fact rows in one rollup row: COUNT(*) must read row_count (2), not count rows (1).
    brand = [day("2025-03-01", campaign_name="Brand", spend=s) for s in (2.0, 3.0)]
    load_rows(store, [*brand, day("2025-03-02", ad_name="x", spend=4.0)], ingest_id=1)
    with use_rollups():
        on = run_query(store, request_)
    with use_rollups(False):
        off = run_query(store, request_)
    assert (on.metadata["rollup"], off.metadata["rollup"]) == (rollup, "base")
    assert on.data == off.data
    if "rows" in request_["measures"]:
        assert [row["rows"] for row in on.data] == [2, 1]
    if rollup != "base":
        assert rollup in on.metadata["sql"] and "ad_performance" not in on.metadata["sql"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("SUM(spend)", True),
        ("SUM(clicks) / SUM(impressions)", True),
        ("COUNT(*)", True),
        ("SUM(CASE WHEN platform = 'meta' THEN spend END)", True),
        ("SUM(CASE WHEN ad_name = 'x' THEN spend END)", False),
        ("SUM(CASE WHEN platform = 'meta' THEN 1 END)", False),
        ("SUM(spend * clicks)", False),
        ("COUNT(spend)", False),
        ("AVG(spend)", False),
        ("MIN(spend)", False),
    ],
)
def test_answerable_measures(expression: str, expected: bool) -> None:
    assert answerable(sqlglot.parse_one(expression, dialect="duckdb")) is expected


# --- property: the planned answer is the base table's answer --------------------------------

FIRST, LAST = date(2025, 2, 20), date(2025, 3, 31)
PLATFORMS = ["meta", "google_ads"]
ACCOUNTS = ["a1", "a2", None]
CAMPAIGNS = ["Alpha", "Beta Sale", None]
CHANNELS = ["Paid Search", "Paid Social", None]
SOURCES = ["google", "facebook", None]


def _facts(rng: random.Random, days: list[date], hours: list[datetime]) -> list[dict[str, Any]]:
    def numbers() -> dict[str, Any]:
        impressions = rng.choice([0, rng.randint(1, 5000)])
        return {
            "platform": rng.choice(PLATFORMS),
            "account_id": rng.choice(ACCOUNTS),
            "campaign_name": rng.choice(CAMPAIGNS),
            "channel": rng.choice(CHANNELS),
            "currency": rng.choice(["USD", "EUR"]),
            "utm_source": rng.choice(SOURCES),
            "ad_name": rng.choice(["ad 1", "ad 2"]),
            # Quarters: sums are exact in binary, so any order of addition gives equal floats.
            "spend": rng.choice([None, 0.0, rng.randint(0, 4000) / 4]),
            "impressions": impressions,
            "clicks": rng.randint(0, impressions // 10) if impressions else 0,
            "conversions": rng.choice([0.0, 0.5, 1.0, 3.0, 7.25]),
            "conversion_value": rng.randint(0, 3600) / 4,
        }

    rows = [day(d.isoformat(), **numbers()) for d in days for _ in range(rng.randint(0, 3))]
    rows += [hour(h.isoformat(), **numbers()) for h in hours if rng.random() < 0.5]
    return rows


def _loads() -> list[list[dict[str, Any]]]:
    rng = random.Random(11)
    every_day = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    hours = [datetime(2025, 3, 8) + timedelta(hours=n) for n in range(24 * 25)]
    first = _facts(rng, every_day[:25], hours[: 24 * 10])
    first.append(period("2025-03-01", "2025-03-05", spend=50.0, impressions=10, clicks=1))
    second = _facts(rng, every_day[25:], hours[24 * 10 :])
    # Range rows of several periods and groups: covered by some ranges, never by a series.
    for n, (start, end) in enumerate(
        [("2025-02-20", "2025-03-31"), ("2025-03-10", "2025-03-16"), (None, None)] * 2
    ):
        second.append(
            period(
                start,
                end,
                platform=PLATFORMS[n % 2],
                account_id=ACCOUNTS[n % 3],
                campaign_name=CAMPAIGNS[n % 3],
                channel=CHANNELS[(n + 1) % 3],
                utm_source=SOURCES[n % 3],
                ad_name="ad 1",
                spend=25.0 * (n + 1),
                impressions=100 * n,
                clicks=3 * n,
                conversions=0.5 * n,
                conversion_value=12.25 * n,
            )
        )
    restated = _facts(rng, every_day[10:30:3], hours[24 * 5 : 24 * 15 : 5])
    return [first, second, restated]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(Path(tmp_path_factory.mktemp("rollups")) / "adlens.duckdb") as opened:
        for ingest_id, rows in enumerate(_loads(), start=1):
            load_rows(opened, rows, ingest_id)
        load_rows(opened, _facts(random.Random(3), [date(2025, 3, 1)], []), 9, "elsewhere")
        yield opened


def test_the_loads_restate_and_keep_rollups_exact(loaded: Store) -> None:
    counts = loaded.query("SELECT ingest_id, count(*) AS n FROM ad_performance GROUP BY 1")
    assert {row["ingest_id"] for row in counts} == {1, 2, 3, 9}
    total = sum(len(rows) for rows in _loads()) + len(
        _facts(random.Random(3), [date(2025, 3, 1)], [])
    )
    assert sum(row["n"] for row in counts) < total  # the restatement replaced rows
    assert loaded.query("SELECT count(*) AS n FROM rollup_ad_range") == [{"n": 7}]
    assert_rollups_exact(loaded)


dates = st.dates(min_value=FIRST - timedelta(days=3), max_value=LAST + timedelta(days=3))
filters = st.tuples(
    st.sampled_from([*ROLLUP_DIMENSIONS, *OTHER_DIMENSIONS]),
    st.sampled_from(["equals", "notEquals", "contains", "set", "notSet"]),
    st.lists(
        st.sampled_from(["meta", "a1", "Alpha", "sale", "Paid", "EUR", "google"]),
        min_size=1,
        max_size=2,
        unique=True,
    ),
)
queries = st.fixed_dictionaries(
    {
        "measures": st.lists(
            st.sampled_from(
                ["spend", "impressions", "clicks", "conversions", "ctr", "cpc", "cpm", "roas"]
            ),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "dimensions": st.lists(
            st.sampled_from([*ROLLUP_DIMENSIONS, *OTHER_DIMENSIONS]), max_size=2, unique=True
        ),
        "granularity": st.sampled_from([None, "hour", "day", "week", "month"]),
        "range": st.one_of(st.none(), st.tuples(dates, dates).map(sorted)),
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
        "week_start": st.sampled_from(["monday", "sunday"]),
        "filters": st.lists(filters, max_size=2),
        "spend_above": st.one_of(st.none(), st.sampled_from([0.0, 100.0])),
        "compare": st.booleans(),
    }
)


def _request(q: Mapping[str, Any]) -> dict[str, Any]:
    time: dict[str, Any] = {"dimension": "ts"}
    if q["granularity"]:
        time["granularity"] = q["granularity"]
    if q["range"]:
        time["dateRange"] = [d.isoformat() for d in q["range"]]
    members = [
        {"member": d, "operator": op, "values": [] if op in ("set", "notSet") else values}
        for d, op, values in q["filters"]
    ]
    if q["spend_above"] is not None:
        members.append({"member": "spend", "operator": "gt", "values": [q["spend_above"]]})
    request = {
        "measures": q["measures"],
        "dimensions": q["dimensions"],
        "timeDimensions": [time],
        "timezone": q["timezone"],
        "weekStart": q["week_start"],
        "filters": members,
        "limit": 50000,
    }
    if q["range"] and q["compare"]:
        request["compare"] = "previous_period"
    return request


def _expected_rollup(q: Mapping[str, Any]) -> str:
    members = {*q["dimensions"], *(d for d, _, _ in q["filters"])}
    if not members <= set(ROLLUP_DIMENSIONS):
        return "base"
    # Without campaign columns, the platform rollups answer.
    family = "rollup_ad_platform" if "campaign_name" not in members else "rollup_ad"
    if q["granularity"] == "hour":
        return f"{family}_hour"
    # Ranges here are whole days: in UTC, hour rows are read summed per day.
    return f"{family}_day_utc" if q["timezone"] == "UTC" else f"{family}_day"


VARYING = ("sql", "query_time", "rollup", "source")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=queries)
def test_planned_answer_equals_the_base_answer(loaded: Store, q: dict[str, Any]) -> None:
    request = _request(q)
    with use_rollups():
        planned = run_query(loaded, request)
    with use_rollups(False):
        base = run_query(loaded, request)
    expected = _expected_rollup(q)
    assert (planned.metadata["rollup"], base.metadata["rollup"]) == (expected, "base")
    assert planned.metadata["source"] == ("ad_performance" if expected == "base" else expected)
    assert rounded(planned.data) == rounded(base.data)
    assert {k: v for k, v in planned.metadata.items() if k not in VARYING} == {
        k: v for k, v in base.metadata.items() if k not in VARYING
    }


few_days = st.dates(min_value=date(2025, 3, 1), max_value=date(2025, 3, 5))  # loads overlap


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    loads=st.lists(
        st.tuples(
            st.sampled_from(["default", "other"]), st.lists(few_days, min_size=1, max_size=4)
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_incremental_refreshes_equal_a_full_group_by(
    store: Store, seed: int, loads: list[tuple[str, list[date]]]
) -> None:
    for table in ("ad_performance", *EXPECTED):
        store.con.execute(f"DELETE FROM {table}")
    rng = random.Random(seed)
    for ingest_id, (workspace, days) in enumerate(loads, start=1):
        hours = [datetime.combine(d, datetime.min.time()) + timedelta(hours=7) for d in days]
        load_rows(store, _facts(rng, days, hours), ingest_id, workspace)
        assert_rollups_exact(store)


def test_rollup_tables_without_rows_are_not_read_until_a_load_fills_them(store: Store) -> None:
    request = {
        "measures": ["spend"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-01", "2025-03-31"]}],
    }
    load_rows(store, [day("2025-03-01", spend=8.0)], ingest_id=1)
    store.bump_data_version("default")  # as a load does, in its transaction
    first = run_query(store, request)
    assert first.data == [{"spend": 8.0}]
    assert first.metadata["rollup"] == "rollup_ad_platform_day_utc"
    read = first.metadata["sql"]
    assert "q_rollup_ad_platform_day_utc_without_hour_day_range" in read

    load_rows(store, [period("2025-03-01", "2025-03-31", spend=100.0)], ingest_id=2)
    store.bump_data_version("default")
    second = run_query(store, request)
    assert second.data == [{"spend": 108.0}]  # the range row, now that its rollup has rows
    read = second.metadata["sql"]
    assert "q_rollup_ad_platform_day_utc_without_hour_day " in read
    with use_rollups(False):
        assert run_query(store, request).data == second.data


@pytest.mark.parametrize("ordered", [True, False])
def test_an_append_leaves_the_insertion_order_setting_as_it_found_it(
    store: Store, ordered: bool
) -> None:
    store.con.execute(f"SET preserve_insertion_order = {ordered}")
    written = load_rows(store, [day("2025-03-01", spend=1.0), day("2025-03-02", spend=2.0)], 1)
    assert written["rollup_ad_day"] == 2
    setting = store.con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    assert setting == [(ordered,)]
    assert_rollups_exact(store)
