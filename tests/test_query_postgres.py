"""The same plans rendered for PostgreSQL give the same numbers on the real server.

The server is the local PostgreSQL service (127.0.0.1:5432, trust auth, database ``test``).
If it does not answer, the test starts the cluster once and fails if it still does not:
it never skips. Each run works in its own schema and drops it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlglot

from adlens.query import plan_query, register_metric, render, run_query
from adlens.store import Store, open_store
from adlens.store.migrations import FACT_DDL

from .query_helpers import SHOP, day, hour, insert_facts, period, rounded

NOW = datetime(2025, 4, 2, 12, tzinfo=UTC)


def connect() -> psycopg.Connection[Any]:
    """A connection to the local server, starting its cluster if it is down."""
    error: Exception | None = None
    for attempt in range(2):
        for user in ("postgres", "root"):
            try:
                return psycopg.connect(
                    host="127.0.0.1",
                    port=5432,
                    dbname="test",
                    user=user,
                    connect_timeout=5,
                    autocommit=True,
                    cursor_factory=psycopg.RawCursor,  # $1 parameters, no %-formatting
                )
            except psycopg.OperationalError as exc:
                error = exc
        if attempt == 0:
            for version in sorted(os.listdir("/etc/postgresql")):
                subprocess.run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                    capture_output=True,
                    check=False,
                    timeout=60,
                )
            time.sleep(3)
    pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable, even after starting it: {error}")


ROWS = [
    *SHOP,
    day("2024-03-02", platform="meta", campaign_name="Brand", spend=40.0, clicks=4),
    day("2025-02-28", platform="tiktok", campaign_name="Video 50% Off", spend=0.0, clicks=0),
    period(
        "2025-03-01",
        "2025-03-31",
        platform="linkedin",
        campaign_name="B2B",
        spend=500.0,
        impressions=50000,
        clicks=250,
        conversions=5.0,
        conversion_value=900.0,
    ),
    period(None, None, platform="linkedin", campaign_name="B2B", spend=7.0),
    period("2025-03-09", "2025-03-15", platform="google_ads", campaign_name="US", spend=70.0),
    *[
        hour(
            (datetime(2025, 3, 29, 20) + timedelta(hours=i)).isoformat(),
            platform="microsoft",
            campaign_name="Night",
            spend=1.0 + i,
            impressions=100,
            clicks=i % 4,
            conversions=0.5 * (i % 3),
            conversion_value=2.0 * i,
        )
        for i in range(30)
    ],
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Any]]:
    store = open_store(Path(tmp_path_factory.mktemp("pg")) / "adlens.duckdb")
    insert_facts(store, ROWS)
    register_metric(store, "meta_spend", "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)")
    register_metric(store, "profit_per_click", "(conversion_value - spend) / clicks")
    schema = f"adlens_query_{uuid.uuid4().hex[:12]}"
    pg = connect()
    try:
        pg.execute(f'CREATE SCHEMA "{schema}"')
        pg.execute(f'SET search_path TO "{schema}"')
        pg.execute(sqlglot.transpile(FACT_DDL, read="duckdb", write="postgres")[0])
        rows = store.con.execute("SELECT * FROM ad_performance").fetchall()
        columns = ", ".join(f"${i}" for i in range(1, len(rows[0]) + 1))
        with pg.cursor() as cursor:
            cursor.executemany(f"INSERT INTO ad_performance VALUES ({columns})", rows)
        yield store, pg
    finally:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        pg.close()
        store.close()


def in_range(*bounds: str, **extra: Any) -> dict[str, Any]:
    granularity = extra.pop("granularity", None)
    time_dimension: dict[str, Any] = {"dimension": "ts", "dateRange": list(bounds)}
    if granularity:
        time_dimension["granularity"] = granularity
    return {"timeDimensions": [time_dimension], **extra}


MEASURES = [
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
    "ctr",
    "cpc",
    "cpm",
    "cpa",
    "cvr",
    "roas",
    "aov",
]

QUERIES: dict[str, dict[str, Any]] = {
    "all measures by platform": {"measures": MEASURES, "dimensions": ["platform"]},
    "totals over a range with range rows": {
        "measures": MEASURES,
        **in_range("2025-03-01", "2025-03-31"),
    },
    "daily in Berlin (hour rows converted)": {
        "measures": ["spend", "clicks", "cpc"],
        "dimensions": ["platform"],
        **in_range("2025-03-28", "2025-03-31", granularity="day"),
        "timezone": "Europe/Berlin",
    },
    "hourly across the DST change": {
        "measures": ["spend", "ctr"],
        "timezone": "Europe/Berlin",
        **in_range("2025-03-30", "2025-03-30", granularity="hour"),
    },
    "15 minutes (nothing that fine)": {
        "measures": ["spend"],
        **in_range("2025-03-30", "2025-03-30", granularity="15m"),
    },
    "weekly, monthly, quarterly": {
        "measures": ["spend", "roas"],
        **in_range("2025-01-01", "2025-03-31", granularity="week"),
    },
    "Sunday weeks in New York": {
        "measures": ["spend", "clicks"],
        "timezone": "America/New_York",
        "weekStart": "sunday",
        **in_range("2025-03-01", "2025-03-31", granularity="week"),
    },
    "monthly by campaign": {
        "measures": ["spend"],
        "dimensions": ["campaign_name"],
        **in_range("2024-01-01", "2025-12-31", granularity="month"),
    },
    "quarterly": {
        "measures": ["spend"],
        **in_range("2024-01-01", "2025-12-31", granularity="quarter"),
    },
    "filters of every kind": {
        "measures": ["spend", "clicks"],
        "dimensions": ["campaign_name"],
        "filters": [
            {
                "or": [
                    {"member": "campaign_name", "operator": "contains", "values": ["50%", "ight"]},
                    {"member": "campaign_name", "operator": "startsWith", "values": ["bra"]},
                    {"member": "campaign_name", "operator": "endsWith", "values": ["RCH"]},
                ]
            },
            {"member": "utm_source", "operator": "notEquals", "values": ["google"]},
            {"member": "spend", "operator": "gt", "values": [10]},
        ],
    },
    "set, notSet, gt on text": {
        "measures": ["spend"],
        "dimensions": ["campaign_name", "utm_source"],
        "filters": [
            {
                "or": [
                    {"member": "utm_source", "operator": "notSet"},
                    {"member": "campaign_name", "operator": "gte", "values": ["T"]},
                ]
            }
        ],
    },
    "compare with the previous period, daily": {
        "measures": ["spend", "ctr"],
        "compare": "previous_period",
        **in_range("2025-03-02", "2025-03-03", granularity="day"),
    },
    "compare with last year, by platform, with share": {
        "measures": ["spend", "clicks"],
        "dimensions": ["platform"],
        "share": ["spend"],
        "compare": "same_period_last_year",
        **in_range("2025-03-01", "2025-03-31"),
    },
    "custom metrics": {
        "measures": ["meta_spend", "profit_per_click"],
        "dimensions": ["platform"],
        "order": {"platform": "asc"},
    },
    "order, limit, offset": {
        "measures": ["spend"],
        "dimensions": ["campaign_name", "platform"],
        "order": [["spend", "asc"]],
        "limit": 3,
        "offset": 1,
    },
    "spec shape with two data types": {
        "metrics": [
            {"name": "total_spend", "data_type": "meta_ads", "dimensions": ["account_id"]},
            {"name": "total_clicks", "data_type": "microsoft_ads"},
        ],
        "time_range": {"start": "2025-03-01T00:00:00Z", "end": "2025-03-31T23:59:59Z"},
        "granularity": 86400,
    },
}


def postgres_rows(pg: Any, sql: str) -> list[dict[str, Any]]:
    with pg.cursor() as cursor:
        cursor.execute(sql, ["default"])
        names = [d.name for d in cursor.description]
        return [
            {name: _plain(value) for name, value in zip(names, row, strict=True)}
            for row in cursor.fetchall()
        ]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("name", list(QUERIES))
def test_postgres_gives_the_same_numbers_as_duckdb(stores: tuple[Store, Any], name: str) -> None:
    store, pg = stores
    request = QUERIES[name]
    expected = run_query(store, request, now=NOW).data
    sql = render(plan_query(store, request, now=NOW), "postgres")
    assert "workspace = $1" in sql
    assert rounded(postgres_rows(pg, sql)) == rounded(expected)


def test_the_comparison_is_not_vacuous(stores: tuple[Store, Any]) -> None:
    store, _ = stores
    sizes = {name: len(run_query(store, q, now=NOW).data) for name, q in QUERIES.items()}
    assert sizes["hourly across the DST change"] == 23
    assert sizes["15 minutes (nothing that fine)"] == 0
    assert sum(sizes.values()) > 60
