"""Normalising requests: two shapes, one plan; granularities; keys; rendering per dialect."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from adlens.query import QueryError, Registry, compile_plan, normalise
from adlens.query.compile import Source
from adlens.query.timerange import granularity


def plan(request: dict[str, Any]) -> Any:
    return normalise(request, Registry(), now=datetime(2025, 3, 12, tzinfo=UTC))


def test_both_shapes_normalise_to_the_same_plan() -> None:
    spec = plan(
        {
            "metrics": [
                {"name": "spend", "data_type": "meta_ads", "dimensions": ["campaign_name"]},
                {"name": "ctr", "data_type": "meta_ads", "aggregation_type": "avg"},
            ],
            "time_range": {"start": "2025-03-01T00:00:00Z", "end": "2025-03-31T23:59:59Z"},
            "granularity": 86400,
        }
    )
    cube = plan(
        {
            "measures": ["spend", "ad_performance.ctr"],
            "dimensions": ["campaign_name"],
            "filters": [{"member": "platform", "operator": "equals", "values": ["meta"]}],
            "timeDimensions": [
                {"dimension": "ts", "granularity": "day", "dateRange": ["2025-03-01", "2025-03-31"]}
            ],
        }
    )
    assert replace(spec, shape="cube") == cube
    assert spec.fingerprint() == cube.fingerprint()
    assert compile_plan(spec).sql("duckdb") == compile_plan(cube).sql("duckdb")


def test_the_fingerprint_changes_with_anything_that_changes_the_answer() -> None:
    base = {
        "measures": ["spend"],
        "timeDimensions": [{"dimension": "ts", "granularity": "day", "dateRange": "last 7 days"}],
    }
    prints = {
        plan(base).fingerprint(),
        plan({**base, "timezone": "Europe/Berlin"}).fingerprint(),
        plan({**base, "limit": 5}).fingerprint(),
        plan({**base, "measures": ["clicks"]}).fingerprint(),
        plan({**base, "compare": "previous_period"}).fingerprint(),
    }
    assert len(prints) == 5
    assert plan(base).fingerprint() == plan(dict(base)).fingerprint()


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (60, "minute"),
        (300, "5m"),
        (900, "15m"),
        (3600, "hour"),
        (86400, "day"),
        (604800, "week"),
        (2592000, "month"),
        (7776000, "quarter"),
        (31536000, "year"),
        ("1m", "minute"),
        ("minute", "minute"),
        ("5m", "5m"),
        ("15m", "15m"),
        ("1h", "hour"),
        ("hour", "hour"),
        ("1d", "day"),
        ("Day", "day"),
        ("week", "week"),
        ("1w", "week"),
        ("month", "month"),
        ("quarter", "quarter"),
        ("year", "year"),
        ("3600", "hour"),
    ],
)
def test_granularities_by_name_and_by_seconds(value: object, name: str) -> None:
    assert granularity(value).name == name


def test_other_granularity_seconds_are_refused_with_the_allowed_list() -> None:
    with pytest.raises(QueryError) as error:
        plan({"metrics": [{"name": "spend"}], "granularity": 7200})
    assert str(error.value) == (
        "granularity 7200 seconds is not supported; use one of 60 (minute), 300 (5m), "
        "900 (15m), 3600 (hour), 86400 (day), 604800 (week), 2592000 (month), "
        "7776000 (quarter), 31536000 (year)"
    )


def test_result_keys_and_default_order() -> None:
    request = {
        "measures": ["spend", "roas"],
        "dimensions": ["platform"],
        "timeDimensions": [{"dimension": "ts", "granularity": "5m", "dateRange": "today"}],
        "compare": "previous_period",
        "share": ["ad_performance.spend"],
    }
    p = plan(request)
    assert p.result_keys() == [
        "ts.5m",
        "platform",
        "spend",
        "spend_previous",
        "spend_change",
        "roas",
        "roas_previous",
        "roas_change",
        "spend_share",
    ]
    assert p.order == (("ts.5m", False), ("platform", False))
    no_time = plan({"measures": ["roas"], "dimensions": ["platform", "campaign_name"]})
    assert no_time.order == (("roas", True), ("platform", False), ("campaign_name", False))
    no_measures = plan({"dimensions": ["platform"]})
    assert no_measures.order == (("platform", False),)


def test_dimension_only_queries_list_distinct_values() -> None:
    base = Source("ad_performance")
    sql = compile_plan(plan({"dimensions": ["platform"], "limit": 5}), base).sql("duckdb")
    assert sql == (
        'SELECT platform AS "platform" FROM ad_performance WHERE workspace = $1 '
        "GROUP BY 1 ORDER BY 1 LIMIT 5"
    )
    sessions = plan({"dimensions": ["utm_source", "channel"]})
    assert sessions.table == "ad_performance"
    assert (
        compile_plan(plan({"dimensions": ["channel"], "measures": ["sessions"]}))
        .sql("duckdb")
        .startswith('SELECT channel AS "channel", SUM(sessions) AS "sessions" FROM sessions')
    )


def test_the_same_plan_renders_for_postgres() -> None:
    request = {
        "measures": ["ctr"],
        "dimensions": ["platform"],
        "timezone": "Europe/Berlin",
        "timeDimensions": [
            {"dimension": "ts", "granularity": "week", "dateRange": ["2025-03-01", "2025-03-31"]}
        ],
        "filters": [{"member": "campaign_name", "operator": "contains", "values": ["50%"]}],
    }
    sql = compile_plan(plan(request)).sql("postgres")
    assert "CAST(SUM(clicks) AS DOUBLE PRECISION) / NULLIF(SUM(impressions), 0)" in sql
    assert "ts AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Berlin'" in sql
    assert "POSITION(LOWER('50%') IN LOWER(campaign_name)) > 0" in sql
    assert "workspace = $1" in sql
