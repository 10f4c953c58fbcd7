"""The query engine on a hand-built shop: whole results against hand-computed numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adlens.ingest import ingest_file
from adlens.query import QueryError, run_query
from adlens.store import Store

from .conftest import EXPORTS
from .query_helpers import SHOP, day, insert_facts, rounded


@pytest.fixture
def shop(store: Store) -> Store:
    insert_facts(store, SHOP)
    return store


def data(store: Store, request: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return rounded(run_query(store, request, **options).data)


def ratios(spend: float, impressions: int, clicks: int, conversions: float, value: float) -> dict:
    def div(a: float, b: float) -> float | None:
        return None if b == 0 else round(a / b, 9)

    return {
        "ctr": div(clicks, impressions),
        "cpc": div(spend, clicks),
        "cpm": div(1000 * spend, impressions),
        "cpa": div(spend, conversions),
        "cvr": div(conversions, clicks),
        "roas": div(value, spend),
        "aov": div(value, conversions),
    }


ALL = ["spend", "impressions", "clicks", "conversions", "conversion_value"]
RATIOS = ["ctr", "cpc", "cpm", "cpa", "cvr", "roas", "aov"]


def test_every_built_in_measure_by_platform(shop: Store) -> None:
    rows = data(shop, {"measures": ALL + RATIOS, "dimensions": ["platform"]})
    expected = [
        ("meta", 200.0, 18000, 360, 18.0, 900.0),
        ("google_ads", 120.0, 12000, 170, 5.0, 150.0),
        ("tiktok", 30.0, 3000, 30, 3.0, 90.0),
    ]
    assert rows == [
        {
            "platform": platform,
            "spend": spend,
            "impressions": float(impressions),
            "clicks": float(clicks),
            "conversions": conversions,
            "conversion_value": value,
            **ratios(spend, impressions, clicks, conversions, value),
        }
        for platform, spend, impressions, clicks, conversions, value in expected
    ]


def test_ratios_are_null_on_zero_denominators_never_nan_or_infinity(shop: Store) -> None:
    request = {
        "measures": ["spend", *RATIOS],
        "dimensions": ["campaign_name"],
        "filters": [{"member": "campaign_name", "operator": "equals", "values": ["Retarget"]}],
    }
    assert data(shop, request) == [
        {
            "campaign_name": "Retarget",
            "spend": 20.0,
            "ctr": None,
            "cpc": None,
            "cpm": None,
            "cpa": None,
            "cvr": None,
            "roas": 0.0,
            "aov": None,
        }
    ]


def test_numbers_carry_the_digits_a_double_holds_not_the_noise_of_summing(store: Store) -> None:
    rows = [
        day("2025-03-03", spend=0.1, clicks=1, impressions=3),
        day("2025-03-03", spend=0.2, clicks=2, impressions=6),
    ]
    insert_facts(store, rows)
    assert 0.1 + 0.2 == 0.30000000000000004  # what summing the two rows gives
    assert run_query(store, {"measures": ["spend", "cpc", "ctr"]}).data == [
        {"spend": 0.3, "cpc": 0.1, "ctr": 0.333333333333333}
    ]


def test_an_empty_result_is_one_row_of_nulls_for_totals_and_no_rows_for_groups(
    store: Store,
) -> None:
    assert run_query(store, {"measures": ["spend", "ctr"]}).data == [{"spend": None, "ctr": None}]
    assert run_query(store, {"measures": ["spend"], "dimensions": ["platform"]}).data == []


def test_both_request_shapes_give_the_same_numbers(shop: Store) -> None:
    spec = {
        "metrics": [
            {"name": "total_spend", "dimensions": ["platform"], "aggregation_type": "sum"},
            {"name": "total_clicks", "aggregation_type": "sum"},
            {"name": "avg_ctr", "aggregation_type": "avg"},
        ],
        "time_range": {"start": "2025-03-01T00:00:00Z", "end": "2025-03-02T23:59:59Z"},
        "granularity": 86400,
    }
    cube = {
        "measures": ["ad_performance.spend", "clicks", "ctr"],
        "dimensions": ["ad_performance.platform"],
        "timeDimensions": [
            {"dimension": "ts", "granularity": "day", "dateRange": ["2025-03-01", "2025-03-02"]}
        ],
    }
    renamed = [
        {
            "ts.day": row["ts.day"],
            "platform": row["platform"],
            "spend": row["total_spend"],
            "clicks": row["total_clicks"],
            "ctr": row["avg_ctr"],
        }
        for row in data(shop, spec)
    ]
    expected = [
        {"ts.day": "2025-03-01", "platform": "meta", "spend": 100.0, "clicks": 200.0, "ctr": 0.02},
        {
            "ts.day": "2025-03-01",
            "platform": "google_ads",
            "spend": 50.0,
            "clicks": 100.0,
            "ctr": 0.02,
        },
        {"ts.day": "2025-03-02", "platform": "meta", "spend": 100.0, "clicks": 160.0, "ctr": 0.02},
        {
            "ts.day": "2025-03-02",
            "platform": "google_ads",
            "spend": 70.0,
            "clicks": 70.0,
            "ctr": 0.01,
        },
    ]
    cube_rows = data(shop, {**cube, "order": [["ts", "asc"], ["spend", "desc"]]})
    assert cube_rows == expected
    assert sorted(renamed, key=str) == sorted(expected, key=str)


def test_spec_data_type_filters_the_platform_and_names_map_to_measures(shop: Store) -> None:
    spec = {
        "metrics": [
            {"name": "total_spend", "data_type": "meta_ads", "dimensions": ["campaign_name"]},
            {"name": "cost_per_click", "data_type": "meta_ads"},
            {"name": "total_revenue", "data_type": "meta_ads"},
        ]
    }
    assert data(shop, spec) == [
        {
            "campaign_name": "Brand",
            "total_spend": 180.0,
            "cost_per_click": 0.5,
            "total_revenue": 900.0,
        },
        {
            "campaign_name": "Retarget",
            "total_spend": 20.0,
            "cost_per_click": None,
            "total_revenue": 0.0,
        },
    ]


def test_spec_metrics_of_different_data_types_each_sum_their_own_platform(shop: Store) -> None:
    spec = {
        "metrics": [
            {"name": "total_spend", "data_type": "meta_ads"},
            {"name": "total_clicks", "data_type": "google_ads"},
            {"name": "total_impressions"},
        ]
    }
    result = run_query(shop, spec)
    assert rounded(result.data) == [
        {"total_spend": 200.0, "total_clicks": 170.0, "total_impressions": 33000.0}
    ]
    assert result.metadata["annotation"]["total_clicks"]["platforms"] == ["google_ads"]


def test_spec_ga4_data_type_reads_sessions(store: Store) -> None:
    from .query_helpers import insert_sessions

    insert_sessions(
        store,
        [
            {
                "date": "2025-03-01",
                "source": "google",
                "medium": "cpc",
                "sessions": 40,
                "conversions": 4.0,
                "revenue": 120.0,
            },
            {
                "date": "2025-03-01",
                "source": "newsletter",
                "medium": "email",
                "sessions": 10,
                "conversions": 1.0,
                "revenue": 30.0,
            },
        ],
    )
    spec = {
        "metrics": [
            {"name": "total_sessions", "data_type": "ga4", "dimensions": ["utm_source"]},
            {"name": "total_conversions", "data_type": "ga4"},
            {"name": "total_revenue", "data_type": "ga4"},
        ]
    }
    assert data(store, spec) == [
        {
            "utm_source": "google",
            "total_sessions": 40.0,
            "total_conversions": 4.0,
            "total_revenue": 120.0,
        },
        {
            "utm_source": "newsletter",
            "total_sessions": 10.0,
            "total_conversions": 1.0,
            "total_revenue": 30.0,
        },
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"metrics": [{"name": "total_spnd"}]}, "Did you mean 'total_spend'"),
        ({"metrics": [{"name": "total_spend", "data_type": "snapchat_ads"}]}, "data_type"),
        ({"metrics": [{"name": "spend", "aggregation_type": "avg"}]}, "aggregation_type"),
        ({"metrics": [{"name": "ctr", "aggregation_type": "max"}]}, "aggregation_type"),
        ({"metrics": [{"name": "spend"}], "granularity": 120}, "3600 (hour)"),
        ({"metrics": [{"name": "spend"}, {"name": "spend", "data_type": "meta_ads"}]}, "twice"),
        ({"metrics": [{"name": "spend"}, {"name": "sessions"}]}, "different tables"),
        ({"metrics": [{"name": "spend", "dimensions": ["campain_name"]}]}, "'campaign_name'"),
        ({"metrics": [{"name": "spend"}], "time_range": {"start": "2025-03-01"}}, "start and end"),
    ],
)
def test_bad_spec_requests_are_refused_clearly(
    store: Store, spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError) as error:
        run_query(store, spec)
    assert message in str(error.value)
    assert error.value.status == 400 and error.value.code == "invalid_query"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"measures": ["spnd"]}, "unknown measure 'spnd'. Did you mean 'spend'?"),
        ({"measures": ["spend"], "dimensions": ["campaign"]}, "Did you mean 'campaign_id'"),
        ({"measures": ["spend"], "dimensions": ["ts"]}, "timeDimensions"),
        ({"measures": ["sessions"], "dimensions": ["campaign_name"]}, "not available"),
        ({"measures": ["sessions.spend"]}, "belongs to 'ad_performance'"),
        ({"measures": ["spend"], "limt": 5}, "Did you mean 'limit'"),
        ({"measures": ["spend"], "limit": 0}, "at least 1"),
        ({"measures": ["spend"], "limit": 50001}, "at most 50000"),
        ({"measures": ["spend"], "offset": -1}, "whole number"),
        ({"measures": ["spend"], "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"measures": ["spend"], "order": {"clicks": "desc"}}, "not in the result"),
        ({"measures": ["spend"], "order": {"spend": "down"}}, "'asc' or 'desc'"),
        ({"measures": ["spend"], "compare": "previous_period"}, "needs a time range"),
        ({"measures": ["spend"], "compare": "last_week"}, "Use previous_period or"),
        ({"measures": ["ctr"], "share": ["ctr"]}, "a ratio has no total"),
        ({"measures": ["spend"], "share": ["clicks"]}, "not a measure of this query"),
        (
            {"measures": ["spend"], "timeDimensions": [{"dimension": "ts", "granularity": "2h"}]},
            "unknown granularity '2h'",
        ),
        (
            {"measures": ["spend"], "filters": [{"member": "platform", "operator": "is"}]},
            "operator 'is' is not available",
        ),
        (
            {
                "measures": ["spend"],
                "filters": [{"member": "spend", "operator": "contains", "values": ["1"]}],
            },
            "operator 'contains' is not available",
        ),
        (
            {
                "measures": ["spend"],
                "filters": [{"member": "spend", "operator": "gt", "values": ["lots"]}],
            },
            "numbers",
        ),
        (
            {
                "measures": ["spend"],
                "filters": [{"member": "ts", "operator": "equals", "values": ["2025-03-01"]}],
            },
            "use inDateRange",
        ),
    ],
)
def test_bad_cube_requests_are_refused_clearly(
    store: Store, request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError) as error:
        run_query(store, request_)
    assert message in str(error.value)
    assert error.value.to_problem()["status"] == 400


# --- filters ----------------------------------------------------------------------------------


def campaigns(store: Store, *filters: dict[str, Any]) -> list[str]:
    request = {
        "measures": ["spend"],
        "dimensions": ["campaign_name"],
        "filters": list(filters),
        "order": {"campaign_name": "asc"},
    }
    return [row["campaign_name"] for row in run_query(store, request).data]


def where(member: str, operator: str, *values: Any) -> dict[str, Any]:
    return {"member": member, "operator": operator, "values": list(values)}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (where("platform", "equals", "meta"), ["Brand", "Retarget"]),
        (where("platform", "equals", "tiktok", "google_ads"), ["Search", "Video 50% Off"]),
        # notEquals keeps rows where the dimension is NULL (Retarget has no utm_source)
        (where("utm_source", "notEquals", "facebook"), ["Retarget", "Search", "Video 50% Off"]),
        (where("campaign_name", "contains", "SEARCH"), ["Search"]),
        (where("campaign_name", "contains", "50%"), ["Video 50% Off"]),
        (where("campaign_name", "contains", "%"), ["Video 50% Off"]),
        (where("campaign_name", "contains", "_"), []),
        (where("campaign_name", "contains", "ar", "vid"), ["Retarget", "Search", "Video 50% Off"]),
        (where("campaign_name", "notContains", "BRAND"), ["Retarget", "Search", "Video 50% Off"]),
        (where("campaign_name", "startsWith", "ret"), ["Retarget"]),
        (where("campaign_name", "endsWith", "OFF"), ["Video 50% Off"]),
        (where("campaign_name", "gt", "Retarget"), ["Search", "Video 50% Off"]),
        (where("campaign_name", "gte", "Retarget"), ["Retarget", "Search", "Video 50% Off"]),
        (where("campaign_name", "lt", "Retarget"), ["Brand"]),
        (where("campaign_name", "lte", "Retarget"), ["Brand", "Retarget"]),
        (where("utm_source", "set"), ["Brand", "Search", "Video 50% Off"]),
        (where("utm_source", "notSet"), ["Retarget"]),
        (where("currency", "equals", "EUR"), ["Search"]),
        # measure filters apply to the groups (HAVING)
        (where("spend", "gt", 100), ["Brand", "Search"]),
        (where("spend", "gte", "120"), ["Brand", "Search"]),
        (where("spend", "lt", 30), ["Retarget"]),
        (where("spend", "lte", 30), ["Retarget", "Video 50% Off"]),
        (where("spend", "equals", 20, 30), ["Retarget", "Video 50% Off"]),
        (where("spend", "notEquals", 20), ["Brand", "Search", "Video 50% Off"]),
        (where("ctr", "notSet"), ["Retarget"]),
        (where("ctr", "set"), ["Brand", "Search", "Video 50% Off"]),
        (where("clicks", "gt", 150), ["Brand", "Search"]),  # a measure not in the query
    ],
)
def test_each_filter_operator(shop: Store, condition: dict[str, Any], expected: list[str]) -> None:
    assert campaigns(shop, condition) == expected


def test_nested_and_or_filters(shop: Store) -> None:
    nested = {
        "or": [
            where("platform", "equals", "tiktok"),
            {"and": [where("platform", "equals", "meta"), where("utm_source", "notSet")]},
        ]
    }
    assert campaigns(shop, nested) == ["Retarget", "Video 50% Off"]
    both = {"and": [where("spend", "gt", 25), where("spend", "lt", 150)]}
    assert campaigns(shop, both) == ["Search", "Video 50% Off"]
    either = {"or": [where("spend", "lt", 25), where("spend", "gt", 150)]}
    assert campaigns(shop, either) == ["Brand", "Retarget"]
    # top-level filters are and-ed, whatever their kind
    assert campaigns(shop, where("platform", "equals", "meta"), where("spend", "gt", 50)) == [
        "Brand"
    ]


def test_or_of_a_measure_and_a_dimension_filter_is_refused(shop: Store) -> None:
    mixed = {"or": [where("platform", "equals", "meta"), where("spend", "gt", 10)]}
    with pytest.raises(QueryError, match="mixes measure and dimension filters"):
        campaigns(shop, mixed)


def test_order_limit_and_offset(shop: Store) -> None:
    def rows(**paging: Any) -> list[tuple[str, float]]:
        request = {"measures": ["spend"], "dimensions": ["campaign_name"], **paging}
        return [(r["campaign_name"], r["spend"]) for r in run_query(shop, request).data]

    everything = [("Brand", 180.0), ("Search", 120.0), ("Video 50% Off", 30.0), ("Retarget", 20.0)]
    assert rows() == everything  # default: the first measure, descending
    assert rows(order={"spend": "asc"}) == everything[::-1]
    assert rows(order=[["campaign_name", "desc"]]) == sorted(everything, reverse=True)
    assert rows(limit=2) == everything[:2]
    assert rows(limit=2, offset=1) == everything[1:3]
    assert rows(offset=3) == everything[3:]
    ctr_first = {
        "measures": ["spend", "ctr"],
        "dimensions": ["campaign_name"],
        "order": {"ctr": "desc"},
    }
    # NULL ratios sort last, whatever the direction
    assert [r["campaign_name"] for r in run_query(shop, ctr_first).data] == [
        "Brand",
        "Search",
        "Video 50% Off",
        "Retarget",
    ]


def test_queries_are_confined_to_their_workspace(shop: Store) -> None:
    request = {"measures": ["spend", "clicks"], "dimensions": ["workspace"]}
    assert data(shop, request) == [{"workspace": "default", "spend": 350.0, "clicks": 560.0}]
    assert data(shop, request, workspace="other") == [
        {"workspace": "other", "spend": 999.0, "clicks": 1.0}
    ]
    assert data(shop, request, workspace="nobody") == []
    sql = run_query(shop, request).metadata["sql"]
    assert "workspace = $1" in sql


@pytest.mark.parametrize(
    "request_",
    [
        {"measures": ["spend; DROP TABLE ad_performance"]},
        {"measures": ["spend"], "dimensions": ['platform" FROM ingests --']},
        {"measures": ["spend"], "order": {"1; DROP TABLE ad_performance": "asc"}},
        {"measures": ["spend"], "timezone": "UTC'; DROP TABLE ad_performance; --"},
        {"measures": ["spend"], "filters": [where("platform) OR (1=1", "equals", "x")]},
        {
            "measures": ["spend"],
            "timeDimensions": [
                {"dimension": "ts", "dateRange": ["2025-03-01'; DROP TABLE x; --", "2025-03-02"]}
            ],
        },
    ],
)
def test_injection_in_member_names_is_refused(shop: Store, request_: dict[str, Any]) -> None:
    with pytest.raises(QueryError):
        run_query(shop, request_)
    assert shop.query("SELECT count(*) AS n FROM ad_performance") == [{"n": 7}]


def test_injection_in_filter_values_is_harmless(shop: Store) -> None:
    tricky = "O'Brien \\' OR 1=1 --"
    insert_facts(shop, [{"grain": "range", "campaign_name": tricky, "spend": 1.0}])
    assert campaigns(shop, where("campaign_name", "equals", "' OR '1'='1")) == []
    assert campaigns(shop, where("campaign_name", "equals", tricky)) == [tricky]
    assert campaigns(shop, where("campaign_name", "contains", "'brien \\'")) == [tricky]
    assert shop.query("SELECT count(*) AS n FROM ad_performance") == [{"n": 8}]


def test_metadata_reports_freshness_and_the_sql(store: Store, tmp_path: Path) -> None:
    report = ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    result = run_query(store, {"measures": ["spend", "clicks"], "dimensions": ["platform"]})
    expected = store.query(
        "SELECT platform, sum(spend) AS spend, sum(clicks) AS clicks FROM ad_performance "
        "GROUP BY platform"
    )
    assert rounded(result.data) == rounded(expected)
    meta = result.metadata
    finished = store.query("SELECT max(finished_at) AS t FROM ingests")[0]["t"]
    assert {k: meta[k] for k in ("row_count", "rollup", "source", "data_version", "last_load")} == {
        "row_count": 1,
        "rollup": "rollup_ad_platform_day_utc",
        "source": "rollup_ad_platform_day_utc",
        "data_version": report.ingest_id,
        "last_load": finished.isoformat(),
    }
    assert meta["range_rows_excluded"] == {"count": 0, "reason": None}
    assert isinstance(meta["query_time"], float) and 0 < meta["query_time"] < 5
    assert meta["sql"].startswith('SELECT platform AS "platform"')
    assert meta["annotation"]["spend"] == {
        "type": "measure",
        "measure": "spend",
        "format": "currency",
        "platforms": None,
    }
    assert run_query(store, {"measures": ["spend"]}, workspace="x").metadata["last_load"] is None


def test_session_measures_break_down_and_filter_by_utm_names(store: Store) -> None:
    from .query_helpers import insert_sessions

    insert_sessions(
        store,
        [
            {
                "date": "2025-03-01",
                "source": "google",
                "medium": "cpc",
                "campaign": "spring",
                "sessions": 40,
                "engaged_sessions": 30,
                "conversions": 4.0,
                "revenue": 120.0,
            },
            {
                "date": "2025-03-01",
                "source": "google",
                "medium": "organic",
                "sessions": 25,
                "engaged_sessions": 5,
                "conversions": 0.0,
                "revenue": 0.0,
            },
            {
                "date": "2025-03-02",
                "source": "newsletter",
                "medium": "email",
                "sessions": 10,
                "engaged_sessions": 9,
                "conversions": 1.0,
                "revenue": 30.0,
            },
        ],
    )
    request = {
        "measures": ["sessions", "engaged_sessions", "sessions_conversions", "revenue"],
        "dimensions": ["utm_medium", "utm_campaign"],
        "filters": [{"member": "utm_source", "operator": "equals", "values": ["google"]}],
    }
    assert data(store, request) == [
        {
            "utm_medium": "cpc",
            "utm_campaign": "spring",
            "sessions": 40.0,
            "engaged_sessions": 30.0,
            "sessions_conversions": 4.0,
            "revenue": 120.0,
        },
        {
            "utm_medium": "organic",
            "utm_campaign": None,
            "sessions": 25.0,
            "engaged_sessions": 5.0,
            "sessions_conversions": 0.0,
            "revenue": 0.0,
        },
    ]
    assert "WHERE workspace = $1 AND source = 'google'" in run_query(store, request).metadata["sql"]
    with pytest.raises(QueryError, match="cannot filter sessions rows by 'campaign_name'"):
        run_query(
            store,
            {"measures": ["sessions"], "filters": [{"member": "campaign_name", "operator": "set"}]},
        )
