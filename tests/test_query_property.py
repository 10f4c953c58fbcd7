"""Property: for random queries, the engine answers what a hand-written SQL on the base table does.

The reference SQL is written independently of the compiler: it converts hour rows with
DuckDB's ``timezone()`` function, buckets with ``date_trunc`` on the local time, filters
with ``LIKE`` and sums by ``GROUP BY ALL``, following DESIGN.md section 3 literally.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adlens.query import run_query
from adlens.store import Store, open_store

from .query_helpers import assert_same_rows, day, hour, insert_facts, period

FIRST, LAST = date(2025, 1, 1), date(2025, 3, 31)
PLATFORMS = ["meta", "google_ads", "tiktok"]
CAMPAIGNS = ["Alpha", "Beta", "Gamma Sale", None]
SOURCES = ["google", "facebook", None]
SUMS = {
    "spend": "SUM(spend)",
    "impressions": "SUM(impressions)",
    "clicks": "SUM(clicks)",
    "conversions": "SUM(conversions)",
    "conversion_value": "SUM(conversion_value)",
}
RATIOS = {
    "ctr": ("clicks", "impressions", 1),
    "cpc": ("spend", "clicks", 1),
    "cpm": ("spend", "impressions", 1000),
    "cpa": ("spend", "conversions", 1),
    "cvr": ("conversions", "clicks", 1),
    "roas": ("conversion_value", "spend", 1),
    "aov": ("conversion_value", "conversions", 1),
}
DIMENSIONS = ["platform", "campaign_name", "utm_source", "account_id"]
RANGE_ROWS = [
    ("2025-01-01", "2025-01-31"),  # a month: counts in its month
    ("2025-02-10", "2025-03-20"),  # spans months: in no series
    ("2025-03-01", "2025-03-01"),  # one day: in every series of days and up
    ("2025-02-03", "2025-02-09"),  # a Monday-to-Sunday week
    ("2025-01-27", "2025-02-02"),  # a week across two months
    ("2025-02-16", "2025-02-22"),  # a Sunday-to-Saturday week (weekStart sunday)
]
# Bounds of range rows (and the days around them) and DST days, where off-by-ones hide.
EDGES = sorted(
    {
        date.fromisoformat(bound) + timedelta(days=shift)
        for pair in RANGE_ROWS
        for bound in pair
        for shift in (-1, 0, 1)
    }
    | {date(2025, 3, 9), date(2025, 3, 30), date(2025, 3, 8), date(2025, 3, 31)}
)
VALUES = ["meta", "google", "tiktok", "Alpha", "alp", "Gamma", "sale", "face", "a1"]


def _rows(seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)

    def numbers() -> dict[str, Any]:
        impressions = rng.choice([0, rng.randint(1, 5000)])
        clicks = rng.randint(0, impressions // 10) if impressions else 0
        return {
            "platform": rng.choice(PLATFORMS),
            "campaign_name": rng.choice(CAMPAIGNS),
            "utm_source": rng.choice(SOURCES),
            "account_id": rng.choice(["a1", "a2"]),
            "spend": round(rng.uniform(0, 300), 2) if rng.random() > 0.1 else 0.0,
            "impressions": impressions,
            "clicks": clicks,
            "conversions": rng.choice([0.0, 0.5, 1.0, 3.0, 7.25]),
            "conversion_value": round(rng.uniform(0, 900), 2),
        }

    rows = []
    for offset in range((LAST - FIRST).days + 1):
        when = FIRST + timedelta(days=offset)
        rows += [day(when.isoformat(), **numbers()) for _ in range(rng.randint(0, 3))]
    start = datetime(2025, 3, 8)  # hours across the US and EU DST changes
    for offset in range(24 * 25):
        if rng.random() < 0.3:
            instant = start + timedelta(hours=offset)
            rows.append(hour(instant.isoformat(), **numbers()))
    for first, last in [*RANGE_ROWS, (None, None)]:
        rows.append(period(first, last, **numbers()))
    rows += [day("2025-02-01", workspace="elsewhere", **numbers()) for _ in range(5)]
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(Path(tmp_path_factory.mktemp("property")) / "adlens.duckdb") as opened:
        insert_facts(opened, _rows())
        yield opened


dates = st.one_of(
    st.sampled_from(EDGES),
    st.dates(min_value=FIRST - timedelta(days=5), max_value=LAST + timedelta(days=5)),
)
filters = st.tuples(
    st.sampled_from(DIMENSIONS),
    st.sampled_from(["equals", "notEquals", "contains", "startsWith", "set", "notSet"]),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True),
)
queries = st.fixed_dictionaries(
    {
        "measures": st.lists(
            st.sampled_from([*SUMS, *RATIOS]), min_size=1, max_size=4, unique=True
        ),
        "dimensions": st.lists(st.sampled_from(DIMENSIONS), max_size=2, unique=True),
        "granularity": st.sampled_from([None, "day", "week", "month"]),
        "range": st.one_of(
            st.none(),
            st.sampled_from([[date.fromisoformat(d) for d in pair] for pair in RANGE_ROWS]),
            st.tuples(dates, dates).map(sorted),
        ),
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
        "week_start": st.sampled_from([None, "monday", "sunday"]),
        "filters": st.lists(filters, max_size=2),
    }
)


def engine_request(q: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "measures": q["measures"],
        "dimensions": q["dimensions"],
        "timezone": q["timezone"],
        "limit": 50000,
        **({"weekStart": q["week_start"]} if q["week_start"] else {}),
        "filters": [
            {"member": d, "operator": op, "values": [] if op in ("set", "notSet") else values}
            for d, op, values in q["filters"]
        ],
    }
    time_dimension: dict[str, Any] = {"dimension": "ts"}
    if q["granularity"]:
        time_dimension["granularity"] = q["granularity"]
    if q["range"]:
        time_dimension["dateRange"] = [d.isoformat() for d in q["range"]]
    request["timeDimensions"] = [time_dimension]
    return request


def bucket_start(q: dict[str, Any], value: str) -> str:
    """The first instant of the bucket ``value`` (a timestamp) is in; Sunday weeks start
    the day before ISO weeks, so a Sunday belongs with the Monday after it."""
    g = q["granularity"]
    if g == "week" and q["week_start"] == "sunday":
        return f"(date_trunc('week', {value} + INTERVAL 1 DAY) - INTERVAL 1 DAY)"
    return f"date_trunc('{g}', {value})"


def reference_sql(q: dict[str, Any]) -> tuple[str, list[str]]:
    """The query written by hand (values come from the fixed lists above, none quoted)."""
    tz = q["timezone"]
    keys: list[str] = []
    select: list[str] = []
    if q["granularity"]:
        keys.append(f"ts.{q['granularity']}")
        select.append(f'CAST({bucket_start(q, "local_ts")} AS DATE) AS "ts.x"')
    for d in q["dimensions"]:
        keys.append(d)
        select.append(d)
    for m in q["measures"]:
        if m in SUMS:
            select.append(f"{SUMS[m]} AS {m}")
        else:
            num, den, scale = RATIOS[m]
            select.append(f"{scale} * SUM({num}) / NULLIF(SUM({den}), 0) AS {m}")
    grains = ["grain = 'day'", "grain = 'hour'", "grain = 'range'"]
    if q["range"]:
        first, last = q["range"]
        after = (last + timedelta(days=1)).isoformat()
        grains = [
            f"(grain = 'day' AND date BETWEEN '{first}' AND '{last}')",
            f"(grain = 'hour' AND local_ts >= TIMESTAMP '{first}' "
            f"AND local_ts + INTERVAL 1 HOUR <= TIMESTAMP '{after}')",
            f"(grain = 'range' AND period_start >= '{first}' AND period_end <= '{last}')",
        ]
    if q["granularity"]:  # a range row counts whole in the one bucket its period lies in
        first_bucket = bucket_start(q, "CAST(period_start AS TIMESTAMP)")
        last_bucket = bucket_start(q, "CAST(period_end AS TIMESTAMP)")
        grains[2] = f"({grains[2]} AND {first_bucket} = {last_bucket})"
    conditions = ["(" + " OR ".join(grains) + ")"]
    for d, op, values in q["filters"]:
        listed = ", ".join(f"'{v}'" for v in values)
        conditions.append(
            {
                "equals": f"{d} IN ({listed})",
                "notEquals": f"({d} NOT IN ({listed}) OR {d} IS NULL)",
                "contains": "("
                + " OR ".join(f"lower({d}) LIKE '%{v.lower()}%'" for v in values)
                + ")",
                "startsWith": "("
                + " OR ".join(f"lower({d}) LIKE '{v.lower()}%'" for v in values)
                + ")",
                "set": f"{d} IS NOT NULL",
                "notSet": f"{d} IS NULL",
            }[op]
        )
    group = " GROUP BY ALL" if keys else ""
    sql = (
        "WITH facts AS (SELECT *, CASE WHEN grain = 'hour' "
        f"THEN timezone('{tz}', timezone('UTC', ts)) "
        "ELSE CAST(coalesce(date, period_start) AS TIMESTAMP) END "
        "AS local_ts FROM ad_performance WHERE workspace = 'default') "
        f"SELECT {', '.join(select)} FROM facts WHERE {' AND '.join(conditions)}{group}"
    )
    return sql, keys


def as_rows(store: Store, sql: str, q: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for row in store.query(sql):
        if "ts.x" in row:
            row[f"ts.{q['granularity']}"] = row.pop("ts.x").isoformat()
        rows.append({key: row[key] for key in engine_order(q)})
    return rows


def engine_order(q: dict[str, Any]) -> list[str]:
    time_key = [f"ts.{q['granularity']}"] if q["granularity"] else []
    return time_key + q["dimensions"] + q["measures"]


def canonical(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: tuple(repr(r[k]) for k in keys))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=queries)
def test_engine_equals_the_reference_sql(store: Store, q: dict[str, Any]) -> None:
    sql, keys = reference_sql(q)
    expected = canonical(as_rows(store, sql, q), keys)
    answer = run_query(store, engine_request(q)).data
    assert [list(row) for row in answer[:1]] == [engine_order(q)][: len(answer[:1])]
    assert_same_rows(canonical(answer, keys), expected)


def test_the_data_exercise_every_kind_of_row(store: Store) -> None:
    grains = store.query(
        "SELECT grain, count(*) AS n FROM ad_performance GROUP BY ALL ORDER BY grain"
    )
    assert [g["grain"] for g in grains] == ["day", "hour", "range"]
    assert all(g["n"] >= 4 for g in grains)
