"""Time in queries: zones and DST, day rows never shifted, range rows, relative ranges, compare."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlglot import exp

from adlens.query import QueryError, run_query
from adlens.query.compile import truncate
from adlens.query.timerange import GRANULARITIES
from adlens.store import Store

from .query_helpers import SHOP, day, hour, insert_facts, period, rounded


def series(granularity: str | None, date_range: Any, **extra: Any) -> dict[str, Any]:
    time_dimension: dict[str, Any] = {"dimension": "ts"}
    if granularity:
        time_dimension["granularity"] = granularity
    if date_range is not None:
        time_dimension["dateRange"] = date_range
    return {"measures": ["spend"], "timeDimensions": [time_dimension], **extra}


def spend_by(store: Store, request: dict[str, Any], **options: Any) -> dict[str, float]:
    rows = run_query(store, request, **options).data
    key = next((k for k in rows[0] if k.startswith("ts.")), None) if rows else None
    return {row[key] if key else "total": row["spend"] for row in rows}


# --- zones and DST ----------------------------------------------------------------------------


@pytest.fixture
def berlin_spring(store: Store) -> Store:
    """Hour rows around Europe/Berlin's spring-forward day (2025-03-30 has 23 local hours)."""
    start = datetime(2025, 3, 29, 23)  # = 2025-03-30 00:00 in Berlin (UTC+1)
    rows = [hour((start + timedelta(hours=i)).isoformat(), spend=1.0) for i in range(23)]
    rows.append(hour("2025-03-29T22:00", spend=100.0))  # 23:00 on the 29th in Berlin
    rows.append(hour("2025-03-30T22:00", spend=1000.0))  # 00:00 on the 31st in Berlin
    insert_facts(store, rows)
    return store


def test_a_dst_day_in_berlin_has_23_hourly_buckets(berlin_spring: Store) -> None:
    request = series("hour", ["2025-03-30", "2025-03-30"], timezone="Europe/Berlin")
    local_hours = [0, 1, *range(3, 24)]  # 02:00 does not exist that night
    assert run_query(berlin_spring, request).data == [
        {"ts.hour": f"2025-03-30T{h:02d}:00:00", "spend": 1.0} for h in local_hours
    ]


def test_hour_rows_go_to_the_local_day_of_the_query_zone(berlin_spring: Store) -> None:
    berlin = series("day", ["2025-03-29", "2025-03-31"], timezone="Europe/Berlin")
    assert spend_by(berlin_spring, berlin) == {
        "2025-03-29": 100.0,
        "2025-03-30": 23.0,
        "2025-03-31": 1000.0,
    }
    utc = series("day", ["2025-03-29", "2025-03-31"])
    assert spend_by(berlin_spring, utc) == {"2025-03-29": 101.0, "2025-03-30": 1022.0}


def test_a_fall_back_day_repeats_a_local_hour_in_one_bucket(store: Store) -> None:
    start = datetime(2025, 10, 25, 22)  # 2025-10-26 00:00 in Berlin (UTC+2)
    insert_facts(
        store, [hour((start + timedelta(hours=i)).isoformat(), spend=1.0) for i in range(25)]
    )
    request = series("hour", ["2025-10-26", "2025-10-26"], timezone="Europe/Berlin")
    by_hour = spend_by(store, request)
    assert len(by_hour) == 24 and by_hour["2025-10-26T02:00:00"] == 2.0
    assert sum(by_hour.values()) == 25.0
    daily = series("day", ["2025-10-26", "2025-10-26"], timezone="Europe/Berlin")
    assert spend_by(store, daily) == {"2025-10-26": 25.0}


def test_sub_hour_buckets_of_hour_rows_are_refused_and_counted(berlin_spring: Store) -> None:
    request = series("15m", ["2025-03-30", "2025-03-30"], timezone="Europe/Berlin")
    result = run_query(berlin_spring, request)
    assert result.data == []
    assert result.metadata["grain_rows_excluded"] == {
        "count": 23,
        "reason": "hour and day rows cannot be split into 15m buckets; ask for a coarser "
        "granularity to count them",
    }


@pytest.mark.parametrize(
    ("granularity", "expected"),
    [
        ("minute", "2025-03-01 10:17:00"),
        ("5m", "2025-03-01 10:15:00"),
        ("15m", "2025-03-01 10:15:00"),
        ("hour", "2025-03-01 10:00:00"),
        ("day", "2025-03-01 00:00:00"),
        ("week", "2025-02-24 00:00:00"),
        ("month", "2025-03-01 00:00:00"),
        ("quarter", "2025-01-01 00:00:00"),
        ("year", "2025-01-01 00:00:00"),
    ],
)
def test_bucket_starts(store: Store, granularity: str, expected: str) -> None:
    # No stored grain is finer than an hour yet (events will be); the buckets exist already.
    instant = exp.cast(exp.Literal.string("2025-03-01 10:17:59.5"), "TIMESTAMP")
    bucket = truncate(instant, GRANULARITIES[granularity])
    sql = exp.select(exp.alias_(bucket, "start")).sql("duckdb")
    assert store.query(sql) == [{"start": datetime.fromisoformat(expected)}]


# --- day rows: calendar days, never shifted ---------------------------------------------------


@pytest.fixture
def days(store: Store) -> Store:
    insert_facts(
        store,
        [
            day("2025-03-01", account_timezone="America/Los_Angeles", spend=10.0),
            day("2025-03-31", account_timezone="Asia/Tokyo", spend=20.0),
            day("2025-04-01", spend=40.0),
        ],
    )
    return store


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_day_rows_are_never_shifted_by_the_query_zone(days: Store, zone: str) -> None:
    daily = series("day", ["2025-03-01", "2025-04-01"], timezone=zone)
    assert spend_by(days, daily) == {"2025-03-01": 10.0, "2025-03-31": 20.0, "2025-04-01": 40.0}
    monthly = series("month", ["2025-03-01", "2025-04-30"], timezone=zone)
    assert spend_by(days, monthly) == {"2025-03-01": 30.0, "2025-04-01": 40.0}
    march = series(None, ["2025-03-01", "2025-03-31"], timezone=zone)
    assert spend_by(days, march) == {"total": 30.0}


def test_week_quarter_and_year_buckets(days: Store) -> None:
    assert spend_by(days, series("week", ["2025-02-24", "2025-04-06"])) == {
        "2025-02-24": 10.0,  # ISO weeks start on Monday
        "2025-03-31": 60.0,
    }
    assert spend_by(days, series("quarter", ["2025-01-01", "2025-06-30"])) == {
        "2025-01-01": 30.0,
        "2025-04-01": 40.0,
    }
    assert spend_by(days, series("year", ["2025-01-01", "2025-12-31"])) == {"2025-01-01": 70.0}


def test_hour_buckets_of_day_rows_are_left_out_and_counted(days: Store) -> None:
    result = run_query(days, series("hour", ["2025-03-01", "2025-03-31"]))
    assert result.data == []
    assert result.metadata["grain_rows_excluded"] == {
        "count": 2,
        "reason": "day rows cannot be split into hour buckets; ask for a coarser granularity "
        "to count them",
    }
    assert run_query(days, series("day", None)).metadata["grain_rows_excluded"]["count"] == 0


# --- range rows -------------------------------------------------------------------------------


@pytest.fixture
def ranges(store: Store) -> Store:
    insert_facts(
        store,
        [
            day("2025-03-10", spend=1.0),
            period("2025-03-01", "2025-03-31", spend=500.0),
            period(None, None, spend=7.0),  # "All time": bounds unknown
        ],
    )
    return store


def test_range_rows_count_when_the_query_covers_their_period(ranges: Store) -> None:
    def totals(date_range: Any) -> tuple[float, dict[str, Any]]:
        result = run_query(ranges, series(None, date_range))
        return result.data[0]["spend"], result.metadata["range_rows_excluded"]

    uncovered = (
        "their reporting period is not wholly inside the query's time range (or its bounds "
        "are unknown); widen the range to cover it, or re-export with a Day breakdown"
    )
    assert totals(None) == (508.0, {"count": 0, "reason": None})
    assert totals(["2025-03-01", "2025-03-31"]) == (501.0, {"count": 1, "reason": uncovered})
    assert totals(["2025-02-01", "2025-04-30"]) == (501.0, {"count": 1, "reason": uncovered})
    assert totals(["2025-03-01", "2025-03-15"]) == (1.0, {"count": 2, "reason": uncovered})


def test_range_rows_count_whole_in_the_one_bucket_they_fit(ranges: Store) -> None:
    # March's row lies in one month: it counts there, on the month's first day
    result = run_query(ranges, series("month", ["2025-03-01", "2025-03-31"]))
    assert result.data == [{"ts.month": "2025-03-01", "spend": 501.0}]
    assert result.metadata["range_rows_excluded"]["count"] == 1  # "All time" only
    # in weeks or days it would have to be spread: never; the series says so
    weekly = run_query(ranges, series("week", ["2025-03-01", "2025-03-31"]))
    assert weekly.data == [{"ts.week": "2025-03-10", "spend": 1.0}]
    assert weekly.metadata["range_rows_excluded"] == {
        "count": 2,
        "reason": "their reporting period (an export without a per-day breakdown) does not "
        "lie within one week of the query's range (weeks here start on Monday: set weekStart "
        "to match a weekly export's), and a period is never spread over buckets; query a "
        "coarser granularity, or none, to count them, or re-export with a Day breakdown",
    }
    # a weekly export's Monday-to-Sunday rows are its weeks (and count in their month)
    insert_facts(ranges, [period("2025-03-03", "2025-03-09", spend=20.0)])
    weeks = run_query(ranges, series("week", ["2025-03-01", "2025-03-31"])).data
    assert weeks == [
        {"ts.week": "2025-03-03", "spend": 20.0},
        {"ts.week": "2025-03-10", "spend": 1.0},
    ]
    months = run_query(ranges, series("month", ["2025-03-01", "2025-03-31"])).data
    assert months == [{"ts.month": "2025-03-01", "spend": 521.0}]


def test_weeks_can_start_on_sunday(ranges: Store) -> None:
    # a US weekly export: Sunday-to-Saturday rows; and a day row on Sunday 2025-03-09
    insert_facts(
        ranges,
        [period("2025-03-02", "2025-03-08", spend=20.0), day("2025-03-09", spend=4.0)],
    )
    sunday = run_query(ranges, series("week", ["2025-03-01", "2025-03-31"], weekStart="sunday"))
    assert sunday.data == [
        {"ts.week": "2025-03-02", "spend": 20.0},  # the exported week, whole
        {"ts.week": "2025-03-09", "spend": 5.0},  # Sunday the 9th starts the week of the 10th
    ]
    assert sunday.metadata["week_start"] == "sunday"
    assert sunday.metadata["range_rows_excluded"]["count"] == 2  # March, and "All time"
    # in ISO weeks the same export's rows straddle two weeks: left out, and the reason
    # says how to count them
    monday = run_query(ranges, series("week", ["2025-03-01", "2025-03-31"]))
    assert monday.data == [
        {"ts.week": "2025-03-03", "spend": 4.0},
        {"ts.week": "2025-03-10", "spend": 1.0},
    ]
    assert monday.metadata["week_start"] == "monday"
    assert "set weekStart" in monday.metadata["range_rows_excluded"]["reason"]
    # the original spec's shape takes it too (a week is 604800 seconds)
    spec = {
        "metrics": [{"name": "spend", "aggregation_type": "sum"}],
        "time_range": {"start": "2025-03-02", "end": "2025-03-15"},
        "granularity": 604800,
        "weekStart": "Sun",
    }
    assert [row["ts.week"] for row in run_query(ranges, spec).data] == [
        "2025-03-02",
        "2025-03-09",
    ]


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("this week", "2025-03-09", "2025-03-16"),
        ("last week", "2025-03-02", "2025-03-09"),
        ("last 2 weeks", "2025-02-23", "2025-03-09"),
        ("last 7 days", "2025-03-05", "2025-03-12"),  # days are days whatever the week
    ],
)
def test_relative_weeks_follow_the_week_start(
    store: Store, phrase: str, start: str, end: str
) -> None:
    result = run_query(store, series("day", phrase, weekStart="sunday"), now=NOW)
    assert result.metadata["time_range"] == {
        "start": f"{start}T00:00:00+00:00",
        "end": f"{end}T00:00:00+00:00",
    }


def test_an_unknown_week_start_is_refused(store: Store) -> None:
    with pytest.raises(QueryError, match="weekStart 'sundy' is not a day of the week") as caught:
        run_query(store, series("week", None, weekStart="sundy"))
    assert "sunday" in str(caught.value)
    assert caught.value.where == {"field": "weekStart"}


def test_range_rows_count_in_breakdowns(ranges: Store) -> None:
    insert_facts(ranges, [period("2025-03-01", "2025-03-31", platform="tiktok", spend=5.0)])
    request = {
        "measures": ["spend"],
        "dimensions": ["platform"],
        "timeDimensions": [{"dimension": "ts", "dateRange": "last month"}],
    }
    result = run_query(ranges, request, now=datetime(2025, 4, 15, tzinfo=UTC))
    assert result.data == [
        {"platform": "meta", "spend": 501.0},
        {"platform": "tiktok", "spend": 5.0},
    ]
    assert result.metadata["range_rows_excluded"]["count"] == 1


# --- where a range ends -----------------------------------------------------------------------


def test_inclusive_ends_at_the_precision_they_are_written(store: Store) -> None:
    insert_facts(store, [day("2025-03-02", spend=1.0), hour("2025-03-03T10:00", spend=10.0)])

    def spec(start: str, end: str) -> float | None:
        request = {"metrics": [{"name": "total_spend"}], "time_range": {"start": start, "end": end}}
        return run_query(store, request).data[0]["total_spend"]

    assert spec("2025-03-01T00:00:00Z", "2025-03-02T23:59:59Z") == 1.0  # the whole last second
    assert spec("2025-03-01T00:00:00Z", "2025-03-02T23:59:59.999Z") == 1.0
    assert spec("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z") is None  # day not covered
    assert spec("2025-03-03T10:00:00Z", "2025-03-03T10:59:59Z") == 10.0
    assert spec("2025-03-03T10:00:00Z", "2025-03-03T10:30:00Z") is None  # hour not covered
    assert spec("2025-03-03T11:00:00+01:00", "2025-03-03T11:59:59+01:00") == 10.0
    assert spec("2025-03-02", "2025-03-03") == 11.0  # dates: whole days, end included


def test_a_range_that_ends_before_it_starts_is_refused(store: Store) -> None:
    with pytest.raises(QueryError, match="ends"):
        run_query(store, series(None, ["2025-03-02", "2025-03-01"]))
    with pytest.raises(QueryError, match="cannot read '2025-13-01'"):
        run_query(store, series(None, ["2025-13-01", "2025-03-01"]))
    with pytest.raises(QueryError, match="outside the calendar"):
        run_query(store, series(None, ["2025-01-01", "9999-12-31"]))
    with pytest.raises(QueryError, match="outside the calendar"):
        run_query(store, series(None, ["0001-01-01", "0001-01-02"], compare="previous_period"))


def test_in_date_range_filters_narrow_the_time_range(store: Store) -> None:
    insert_facts(store, SHOP)
    request = {
        "measures": ["spend"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-01", "2025-03-02"]}],
        "filters": [
            {"member": "ts", "operator": "inDateRange", "values": ["2025-03-02", "2025-03-03"]}
        ],
    }
    result = run_query(store, request)
    assert result.data == [{"spend": 170.0}]
    assert result.metadata["time_range"] == {
        "start": "2025-03-02T00:00:00+00:00",
        "end": "2025-03-03T00:00:00+00:00",
    }


# --- relative ranges --------------------------------------------------------------------------

NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("today", "2025-03-12", "2025-03-13"),
        ("yesterday", "2025-03-11", "2025-03-12"),
        ("last 7 days", "2025-03-05", "2025-03-12"),
        ("Last  30 Days", "2025-02-10", "2025-03-12"),
        ("this week", "2025-03-10", "2025-03-17"),
        ("last week", "2025-03-03", "2025-03-10"),
        ("last 2 weeks", "2025-02-24", "2025-03-10"),
        ("this month", "2025-03-01", "2025-04-01"),
        ("last month", "2025-02-01", "2025-03-01"),
        ("last 3 months", "2024-12-01", "2025-03-01"),
        ("this quarter", "2025-01-01", "2025-04-01"),
        ("last quarter", "2024-10-01", "2025-01-01"),
        ("this year", "2025-01-01", "2026-01-01"),
        ("last year", "2024-01-01", "2025-01-01"),
        ("from 2025-01-05 to 2025-01-06", "2025-01-05", "2025-01-07"),
    ],
)
def test_relative_ranges_resolve_against_now(
    store: Store, phrase: str, start: str, end: str
) -> None:
    result = run_query(store, series("day", phrase), now=NOW)
    assert result.metadata["time_range"] == {
        "start": f"{start}T00:00:00+00:00",
        "end": f"{end}T00:00:00+00:00",
    }


def test_relative_ranges_use_the_query_zone_and_whole_hours(store: Store) -> None:
    late = datetime(2025, 3, 12, 23, 30, tzinfo=UTC)  # already the 13th in Tokyo
    tokyo = run_query(store, series("day", "today", timezone="Asia/Tokyo"), now=late)
    assert tokyo.metadata["time_range"] == {
        "start": "2025-03-13T00:00:00+09:00",
        "end": "2025-03-14T00:00:00+09:00",
    }
    hours = run_query(store, series("hour", "last 24 hours"), now=NOW)
    assert hours.metadata["time_range"] == {
        "start": "2025-03-11T15:00:00+00:00",
        "end": "2025-03-12T15:00:00+00:00",
    }


def test_a_daily_series_for_the_last_7_days(store: Store) -> None:
    insert_facts(store, [day(f"2025-03-{d:02d}", spend=float(d)) for d in range(1, 13)])
    assert spend_by(store, series("day", "last 7 days"), now=NOW) == {
        f"2025-03-{d:02d}": float(d) for d in range(5, 12)
    }


def test_unknown_relative_ranges_are_refused(store: Store) -> None:
    with pytest.raises(QueryError, match="cannot read date range 'next tuesday'"):
        run_query(store, series("day", "next tuesday"), now=NOW)


# --- compare and share ------------------------------------------------------------------------


@pytest.fixture
def shop(store: Store) -> Store:
    insert_facts(
        store,
        [
            *SHOP,
            day("2024-03-02", platform="meta", spend=40.0),
            day("2025-02-28", platform="tiktok", spend=0.0),
        ],
    )
    return store


def test_previous_period_totals(shop: Store) -> None:
    request = series(None, ["2025-03-02", "2025-03-03"], compare="previous_period")
    result = run_query(shop, request)
    # current: 80 + 20 + 70 + 30; previous (Feb 28 - Mar 1): 0 + 100 + 50
    assert rounded(result.data) == [
        {"spend": 200.0, "spend_previous": 150.0, "spend_change": round(50 / 150, 9)}
    ]
    assert result.metadata["compare_range"] == {
        "start": "2025-02-28T00:00:00+00:00",
        "end": "2025-03-02T00:00:00+00:00",
    }


def test_comparison_says_whether_the_data_reaches_back_far_enough(store: Store) -> None:
    insert_facts(store, [day(f"2025-03-0{d}", spend=10.0) for d in (1, 2, 3, 4)])
    covered = run_query(
        store, series(None, ["2025-03-03", "2025-03-04"], compare="previous_period")
    )
    # the previous period of Mar 2-4 is Feb 27 - Mar 1: two of its days have no data
    partial = run_query(
        store, series(None, ["2025-03-02", "2025-03-04"], compare="previous_period")
    )
    plain = run_query(store, series(None, ["2025-03-02", "2025-03-04"]))
    assert covered.metadata["data_span"] == {"first_day": "2025-03-01", "last_day": "2025-03-04"}
    assert rounded(partial.data) == [{"spend": 30.0, "spend_previous": 10.0, "spend_change": 2.0}]
    assert (
        covered.metadata["compare_covered"],
        partial.metadata["compare_covered"],
        plain.metadata["compare_covered"],
    ) == (True, False, None)


def test_previous_period_by_platform_has_null_change_on_zero(shop: Store) -> None:
    request = {
        **series(None, ["2025-03-02", "2025-03-03"], compare="previous_period"),
        "measures": ["spend", "cpc"],
        "dimensions": ["platform"],
    }
    assert rounded(run_query(shop, request).data) == [
        {
            "platform": "meta",
            "spend": 100.0,
            "spend_previous": 100.0,
            "spend_change": 0.0,
            "cpc": 0.625,
            "cpc_previous": 0.5,
            "cpc_change": 0.25,
        },
        {
            "platform": "google_ads",
            "spend": 70.0,
            "spend_previous": 50.0,
            "spend_change": 0.4,
            "cpc": 1.0,
            "cpc_previous": 0.5,
            "cpc_change": 1.0,
        },
        {
            "platform": "tiktok",
            "spend": 30.0,
            "spend_previous": 0.0,
            "spend_change": None,
            "cpc": 1.0,
            "cpc_previous": None,
            "cpc_change": None,
        },
    ]


def test_previous_period_of_a_daily_series_lines_up_day_by_day(shop: Store) -> None:
    request = series("day", ["2025-03-02", "2025-03-03"], compare="previous_period")
    assert rounded(run_query(shop, request).data) == [
        # 2025-03-02 compares with 2025-02-28, 2025-03-03 with 2025-03-01
        {"ts.day": "2025-03-02", "spend": 170.0, "spend_previous": 0.0, "spend_change": None},
        {
            "ts.day": "2025-03-03",
            "spend": 30.0,
            "spend_previous": 150.0,
            "spend_change": round(-120 / 150, 9),
        },
    ]


def test_same_period_last_year(shop: Store) -> None:
    request = series("day", ["2025-03-02", "2025-03-03"], compare="same_period_last_year")
    result = run_query(shop, request)
    assert rounded(result.data) == [
        {"ts.day": "2025-03-02", "spend": 170.0, "spend_previous": 40.0, "spend_change": 3.25},
        {"ts.day": "2025-03-03", "spend": 30.0, "spend_previous": None, "spend_change": None},
    ]
    assert result.metadata["compare_range"]["start"] == "2024-03-02T00:00:00+00:00"
    with pytest.raises(QueryError, match="at most one year"):
        run_query(shop, series(None, ["2024-01-01", "2025-03-01"], compare="same_period_last_year"))


def test_share_of_total_is_taken_before_the_limit(shop: Store) -> None:
    request = {
        "measures": ["spend", "clicks"],
        "dimensions": ["platform"],
        "share": ["spend"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-01", "2025-03-03"]}],
    }
    assert rounded(run_query(shop, request).data) == [
        {"platform": "meta", "spend": 200.0, "clicks": 360.0, "spend_share": round(200 / 350, 9)},
        {
            "platform": "google_ads",
            "spend": 120.0,
            "clicks": 170.0,
            "spend_share": round(120 / 350, 9),
        },
        {"platform": "tiktok", "spend": 30.0, "clicks": 30.0, "spend_share": round(30 / 350, 9)},
    ]
    top = run_query(shop, {**request, "limit": 1}).data
    assert rounded(top) == [
        {"platform": "meta", "spend": 200.0, "clicks": 360.0, "spend_share": round(200 / 350, 9)}
    ]


def test_compare_and_share_together_with_order_on_a_derived_key(shop: Store) -> None:
    request = {
        **series(None, ["2025-03-02", "2025-03-03"], compare="previous_period"),
        "dimensions": ["platform"],
        "share": ["spend"],
        "order": {"spend_change": "desc"},
    }
    rows = rounded(run_query(shop, request).data)
    assert [(r["platform"], r["spend_change"], r["spend_share"]) for r in rows] == [
        ("google_ads", 0.4, 0.35),
        ("meta", 0.0, 0.5),
        ("tiktok", None, 0.15),
    ]


def test_previous_period_of_an_instant_range_is_as_long_and_just_before(store: Store) -> None:
    insert_facts(store, [hour(f"2025-03-03T{h:02d}:00", spend=float(h)) for h in range(6, 12)])
    request = {
        "metrics": [{"name": "total_spend"}],
        "time_range": {"start": "2025-03-03T10:00:00Z", "end": "2025-03-03T11:59:59Z"},
        "granularity": 3600,
        "compare": "previous_period",
    }
    result = run_query(store, request)
    assert result.data == [
        {
            "ts.hour": "2025-03-03T10:00:00",
            "total_spend": 10.0,
            "total_spend_previous": 8.0,
            "total_spend_change": 0.25,
        },
        {
            "ts.hour": "2025-03-03T11:00:00",
            "total_spend": 11.0,
            "total_spend_previous": 9.0,
            "total_spend_change": pytest.approx(2 / 9, rel=1e-14),
        },
    ]
    assert result.metadata["compare_range"] == {
        "start": "2025-03-03T08:00:00+00:00",
        "end": "2025-03-03T10:00:00+00:00",
    }


def test_same_period_last_year_of_a_leap_day(store: Store) -> None:
    insert_facts(store, [day("2024-02-29", spend=5.0), day("2023-02-28", spend=4.0)])
    request = series("day", ["2024-02-29", "2024-02-29"], compare="same_period_last_year")
    result = run_query(store, request)
    assert result.data == [
        {"ts.day": "2024-02-29", "spend": 5.0, "spend_previous": None, "spend_change": None}
    ]
    assert result.metadata["compare_range"] == {
        "start": "2023-02-28T00:00:00+00:00",
        "end": "2023-03-01T00:00:00+00:00",
    }
    totals = run_query(
        store, series(None, ["2024-02-29", "2024-02-29"], compare="same_period_last_year")
    )
    assert totals.data == [{"spend": 5.0, "spend_previous": 4.0, "spend_change": 0.25}]
