"""Rows written straight into the fact tables, so query tests control every number."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from adlens.store import Store
from adlens.store.rollups import rebuild_rollups

FACT_DEFAULTS: dict[str, Any] = {
    "workspace": "default",
    "ts": None,
    "date": None,
    "account_timezone": None,
    "grain": "day",
    "period_start": None,
    "period_end": None,
    "platform": "meta",
    "account_id": None,
    "account_name": None,
    "campaign_id": None,
    "campaign_name": None,
    "ad_group_id": None,
    "ad_group_name": None,
    "ad_id": None,
    "ad_name": None,
    "utm_source": None,
    "utm_medium": None,
    "utm_campaign": None,
    "utm_content": None,
    "utm_term": None,
    "channel": None,
    "currency": "USD",
    "spend": None,
    "impressions": None,
    "clicks": None,
    "conversions": None,
    "conversion_value": None,
    "ingest_id": 1,
    "source_file": "test.csv",
    "source_row": 0,
}


def day(on: str, **values: Any) -> dict[str, Any]:
    """A day row (a calendar day of the account: ``ts`` is its midnight, as ingest writes)."""
    when = date.fromisoformat(on)
    return {
        "grain": "day",
        "date": when,
        "ts": datetime.combine(when, datetime.min.time()),
        "period_start": when,
        "period_end": when,
        **values,
    }


def hour(instant: str, **values: Any) -> dict[str, Any]:
    """An hour row: ``instant`` is its start in UTC (``2025-03-30T01:00``)."""
    ts = datetime.fromisoformat(instant)
    return {
        "grain": "hour",
        "ts": ts,
        "date": ts.date(),
        "period_start": ts.date(),
        "period_end": ts.date(),
        **values,
    }


def period(start: str | None, end: str | None, **values: Any) -> dict[str, Any]:
    """A range row: an export without a per-day breakdown (bounds may be unknown)."""
    return {
        "grain": "range",
        "period_start": date.fromisoformat(start) if start else None,
        "period_end": date.fromisoformat(end) if end else None,
        **values,
    }


def insert_facts(store: Store, rows: Iterable[Mapping[str, Any]], *, rollups: bool = True) -> None:
    columns = list(FACT_DEFAULTS)
    records = []
    for line, row in enumerate(rows, start=1):
        unknown = set(row) - set(columns)
        assert not unknown, unknown
        record = {**FACT_DEFAULTS, "source_row": line, **row}
        records.append([record[c] for c in columns])
    placeholders = ", ".join("?" * len(columns))
    store.con.executemany(
        f"INSERT INTO ad_performance ({', '.join(columns)}) VALUES ({placeholders})", records
    )
    if rollups:
        rebuild_rollups(store.con)  # as a load would refresh them


def insert_sessions(store: Store, rows: Iterable[Mapping[str, Any]]) -> None:
    defaults = {
        "workspace": "default",
        "ts": None,
        "date": None,
        "grain": "day",
        "period_start": None,
        "period_end": None,
        "platform": "ga4",
        "source": None,
        "medium": None,
        "campaign": None,
        "channel": None,
        "sessions": None,
        "engaged_sessions": None,
        "users": None,
        "conversions": None,
        "revenue": None,
        "ingest_id": 1,
        "source_file": "ga4.csv",
        "source_row": 0,
    }
    columns = list(defaults)
    records = [[{**defaults, **row}[c] for c in columns] for row in rows]
    placeholders = ", ".join("?" * len(columns))
    store.con.executemany(
        f"INSERT INTO sessions ({', '.join(columns)}) VALUES ({placeholders})", records
    )


def rounded(rows: Iterable[Mapping[str, Any]], digits: int = 9) -> list[dict[str, Any]]:
    """Rows with floats (and decimals) rounded, to compare whole results exactly."""
    return [{key: _round(value, digits) for key, value in row.items()} for row in rows]


def assert_same_rows(
    actual: list[dict[str, Any]], expected: list[dict[str, Any]], rel: float = 1e-9
) -> None:
    """Equal rows, numbers equal to ``rel``: sums added in another order differ in the last
    bits, and rounding both sides can still split them at a halfway digit."""
    assert [list(row) for row in actual] == [list(row) for row in expected]
    for got, want in zip(actual, expected, strict=True):
        for key, value in want.items():
            other = got[key]
            if isinstance(value, float | Decimal) and isinstance(other, float | Decimal):
                assert math.isclose(float(other), float(value), rel_tol=rel, abs_tol=rel), (
                    key,
                    got,
                    want,
                )
            else:
                assert other == value, (key, got, want)


def _round(value: Any, digits: int) -> Any:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        assert math.isfinite(value), value
        return round(value, digits) + 0.0
    if isinstance(value, int) and not isinstance(value, bool):
        return round(float(value), digits)
    return value


# The shop every engine test starts from (hand-computed totals in the tests).
SHOP = [
    day(
        "2025-03-01",
        platform="meta",
        campaign_name="Brand",
        account_id="A1",
        utm_source="facebook",
        spend=100.0,
        impressions=10000,
        clicks=200,
        conversions=10.0,
        conversion_value=500.0,
    ),
    day(
        "2025-03-01",
        platform="google_ads",
        campaign_name="Search",
        account_id="G1",
        utm_source="google",
        spend=50.0,
        impressions=5000,
        clicks=100,
        conversions=5.0,
        conversion_value=150.0,
    ),
    day(
        "2025-03-02",
        platform="meta",
        campaign_name="Brand",
        account_id="A1",
        utm_source="facebook",
        spend=80.0,
        impressions=8000,
        clicks=160,
        conversions=8.0,
        conversion_value=400.0,
    ),
    day(
        "2025-03-02",
        platform="meta",
        campaign_name="Retarget",
        account_id="A1",
        spend=20.0,
        impressions=0,
        clicks=0,
        conversions=0.0,
        conversion_value=0.0,
    ),
    day(
        "2025-03-02",
        platform="google_ads",
        campaign_name="Search",
        account_id="G1",
        utm_source="google",
        currency="EUR",
        spend=70.0,
        impressions=7000,
        clicks=70,
        conversions=0.0,
        conversion_value=0.0,
    ),
    day(
        "2025-03-03",
        platform="tiktok",
        campaign_name="Video 50% Off",
        account_id="T1",
        utm_source="tiktok",
        spend=30.0,
        impressions=3000,
        clicks=30,
        conversions=3.0,
        conversion_value=90.0,
    ),
    day(
        "2025-03-01",
        workspace="other",
        platform="meta",
        campaign_name="Brand",
        spend=999.0,
        impressions=1,
        clicks=1,
        conversions=1.0,
        conversion_value=1.0,
    ),
]
