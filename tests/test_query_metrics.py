"""Custom metrics: the expression whitelist, storage, YAML files, and use in queries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adlens.errors import NotFoundError
from adlens.query import (
    MetricDefinitionError,
    QueryError,
    list_metrics,
    load_metrics_yaml,
    register_metric,
    remove_metric,
    run_query,
)
from adlens.store import Store, open_store

from .conftest import write
from .query_helpers import SHOP, insert_facts, insert_sessions, rounded


@pytest.fixture
def shop(store: Store) -> Store:
    insert_facts(store, SHOP)
    return store


@pytest.mark.parametrize(
    ("expression", "compiled", "by_platform"),
    [
        (
            "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)",
            "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)",
            {"meta": 200.0, "google_ads": 0.0, "tiktok": 0.0},
        ),
        (
            "spend / clicks",
            "CAST((SUM(spend)) AS DOUBLE) / NULLIF((SUM(clicks)), 0)",
            {"meta": round(200 / 360, 9), "google_ads": round(120 / 170, 9), "tiktok": 1.0},
        ),
        (
            "(conversion_value - spend) / spend",
            "CAST(((SUM(conversion_value)) - (SUM(spend))) AS DOUBLE) / NULLIF((SUM(spend)), 0)",
            {"meta": 3.5, "google_ads": 0.25, "tiktok": 2.0},
        ),
        (
            "1000 * spend / NULLIF(impressions, 0)",
            "CAST(1000 * (SUM(spend)) AS DOUBLE) / NULLIF(NULLIF((SUM(impressions)), 0), 0)",
            {"meta": round(200000 / 18000, 9), "google_ads": 10.0, "tiktok": 10.0},
        ),
        (
            "COUNT(*)",
            "COUNT(*)",
            {"meta": 3.0, "google_ads": 2.0, "tiktok": 1.0},
        ),
        (
            "MAX(spend) - MIN(spend) + AVG(clicks) * 0",
            "MAX(spend) - MIN(spend) + AVG(clicks) * 0",
            {"meta": 80.0, "google_ads": 20.0, "tiktok": 0.0},
        ),
        (
            "SUM(CASE WHEN utm_source IN ('facebook', 'google') AND NOT currency <> 'USD' "
            "THEN clicks END)",
            "SUM(CASE WHEN utm_source IN ('facebook', 'google') AND NOT currency <> 'USD' "
            "THEN clicks END)",
            {"meta": 360.0, "google_ads": 100.0, "tiktok": None},
        ),
        (
            "SUM(CASE WHEN utm_source IS NULL THEN spend ELSE 0 END) / -spend",
            "CAST(SUM(CASE WHEN utm_source IS NULL THEN spend ELSE 0 END) AS DOUBLE) / "
            "NULLIF(-(SUM(spend)), 0)",
            {"meta": -0.1, "google_ads": 0.0, "tiktok": 0.0},
        ),
        (
            "SUM(CASE WHEN platform = 'tiktok' THEN NULL ELSE spend END)",
            "SUM(CASE WHEN platform = 'tiktok' THEN NULL ELSE spend END)",
            {"meta": 200.0, "google_ads": 120.0, "tiktok": None},
        ),
        (
            "SUM(spend / clicks)",  # a per-row ratio: NULL on the Retarget row's 0 clicks
            "SUM(CAST(spend AS DOUBLE) / NULLIF(clicks, 0))",
            {"meta": 1.0, "google_ads": 1.5, "tiktok": 1.0},
        ),
    ],
)
def test_accepted_expressions_compile_and_answer(
    shop: Store, expression: str, compiled: str, by_platform: dict[str, float | None]
) -> None:
    metric = register_metric(shop, "custom", expression, format="number")
    assert (metric.table, metric.sql) == ("ad_performance", compiled)
    rows = run_query(
        shop, {"measures": ["custom"], "dimensions": ["platform"], "order": {"platform": "asc"}}
    ).data
    assert rounded(rows) == [{"platform": p, "custom": v} for p, v in sorted(by_platform.items())]


@pytest.mark.parametrize(
    ("expression", "token"),
    [
        ("SUM(spend); DROP TABLE ad_performance", ";"),
        ("SUM(spend) -- what", "a comment (-- or /* */)"),
        ("SUM(spend) /* hi */", "a comment (-- or /* */)"),
        ("(SELECT SUM(spend) FROM ad_performance)", "SELECT"),
        ("SUM(spend) + (SELECT 1)", "SELECT"),
        ("pg_sleep(1)", "pg_sleep"),
        ("ABS(spend)", "ABS"),
        ("SUM(ABS(spend))", "ABS"),
        ("read_csv('/etc/passwd')", "READ_CSV"),
        ("SUM(SUM(spend))", "SUM inside another aggregate"),
        ("COUNT(DISTINCT campaign_id)", "DISTINCT campaign_id"),
        ("CAST(spend AS INT)", "CAST"),
        ("SUM(spend) OVER ()", "OVER"),
        ("SUM(spend) FILTER (WHERE platform = 'meta')", "FILTER"),
        ("spend > 1", "spend > 1"),
        ("'meta'", "'meta'"),
        ("SUM(CASE WHEN platform LIKE 'm%' THEN spend END)", "platform LIKE 'm%'"),
        ("SUM(CASE WHEN lower(platform) = 'meta' THEN spend END)", "LOWER"),
        ("SUM(CASE spend WHEN 1 THEN 1 END)", "CASE"),
        ("IF(spend > 0, 1, 0)", "IF"),
        ("x.spend", "x.spend"),
        ("SUM(spend) AND 1", "AND"),
        ("?", "?"),
        ("SUM(*)", "*"),
    ],
)
def test_refused_expressions_name_the_offending_token(
    shop: Store, expression: str, token: str
) -> None:
    with pytest.raises(MetricDefinitionError) as error:
        register_metric(shop, "bad", expression)
    assert error.value.where == {"token": token}
    assert f"{token} is not allowed in a metric expression" in str(error.value)
    assert error.value.status == 400 and error.value.code == "invalid_metric"
    assert list_metrics(shop) == []
    assert shop.query("SELECT count(*) AS n FROM ad_performance") == [{"n": 7}]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("spnd * 2", "'spnd' is not a known measure"),
        ("spend_original", "columns go inside an aggregate"),
        ("SUM(platform_name)", "'platform_name' is not a column a metric can use"),
        ("SUM(ctr)", "'ctr' is not a column"),
        ("spend / sessions", "mixes tables"),
        ("1 + 2", "aggregates nothing"),
        ("SUM(spend", "cannot be parsed at 'spend' (character 5): Expecting )"),
        ("", "is required"),
        ("SUM(spend) " + "+ 1 " * 600, "longer than 2000"),
    ],
)
def test_unknown_names_and_broken_expressions_are_refused(
    store: Store, expression: str, message: str
) -> None:
    with pytest.raises(MetricDefinitionError, match=re.escape(message)):
        register_metric(store, "bad", expression)


def test_a_where_clause_points_at_the_case_form(store: Store) -> None:
    with pytest.raises(
        MetricDefinitionError, match="parsed at 'WHERE' \\(character 12\\)"
    ) as error:
        register_metric(store, "meta_spend", "SUM(spend) WHERE platform = 'meta'")
    assert error.value.hint is not None
    assert "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)" in error.value.hint


def test_an_unknown_measure_gets_a_suggestion(store: Store) -> None:
    with pytest.raises(MetricDefinitionError, match="Did you mean 'clicks'"):
        register_metric(store, "bad", "spend / clickz")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Spend Share", "is not allowed"),
        ("1st", "is not allowed"),
        ("drop_table;", "is not allowed"),
        ("spend", "built-in member"),
        ("campaign_name", "built-in member"),
        ("ts", "built-in member"),
        ("meta_spend_share", "ends with a suffix"),
    ],
)
def test_metric_names_are_checked(store: Store, name: str, message: str) -> None:
    with pytest.raises(MetricDefinitionError, match=message):
        register_metric(store, name, "SUM(spend)")


def test_register_list_replace_and_remove(shop: Store) -> None:
    register_metric(
        shop,
        "meta_spend",
        "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)",
        format="currency",
        description="spend on Meta",
    )
    register_metric(shop, "meta_spend_ratio", "meta_spend / spend", format="percent")
    assert [(m.name, m.format, m.description, m.table) for m in list_metrics(shop)] == [
        ("meta_spend", "currency", "spend on Meta", "ad_performance"),
        ("meta_spend_ratio", "percent", None, "ad_performance"),
    ]
    assert rounded(run_query(shop, {"measures": ["meta_spend", "meta_spend_ratio"]}).data) == [
        {"meta_spend": 200.0, "meta_spend_ratio": round(200 / 350, 9)}
    ]
    with pytest.raises(MetricDefinitionError, match="exists already"):
        register_metric(shop, "meta_spend", "SUM(spend)")
    register_metric(shop, "meta_spend", "SUM(spend)", replace=True)
    assert run_query(shop, {"measures": ["meta_spend_ratio"]}).data == [{"meta_spend_ratio": 1.0}]
    with pytest.raises(MetricDefinitionError, match="is used by meta_spend_ratio"):
        remove_metric(shop, "meta_spend")
    remove_metric(shop, "meta_spend_ratio")
    remove_metric(shop, "meta_spend")
    assert list_metrics(shop) == []
    with pytest.raises(NotFoundError, match="no custom metric 'meta_spend'"):
        remove_metric(shop, "meta_spend")
    with pytest.raises(QueryError, match="unknown measure 'meta_spend'"):
        run_query(shop, {"measures": ["meta_spend"]})


def test_custom_metrics_work_in_both_shapes_with_filters_order_compare_and_share(
    shop: Store,
) -> None:
    register_metric(shop, "paid_clicks", "SUM(CASE WHEN utm_source IS NOT NULL THEN clicks END)")
    cube = {
        "measures": ["paid_clicks", "spend"],
        "dimensions": ["platform"],
        "filters": [{"member": "paid_clicks", "operator": "gt", "values": [100]}],
        "order": {"paid_clicks": "asc"},
        "share": ["paid_clicks"],
    }
    assert rounded(run_query(shop, cube).data) == [
        {
            "platform": "google_ads",
            "paid_clicks": 170.0,
            "spend": 120.0,
            "paid_clicks_share": round(170 / 530, 9),
        },
        {
            "platform": "meta",
            "paid_clicks": 360.0,
            "spend": 200.0,
            "paid_clicks_share": round(360 / 530, 9),
        },
    ]
    spec = {"metrics": [{"name": "total_paid_clicks", "data_type": "meta_ads"}]}
    assert run_query(shop, spec).data == [{"total_paid_clicks": 360}]
    compare = {
        "measures": ["paid_clicks"],
        "compare": "previous_period",
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-02", "2025-03-02"]}],
    }
    assert rounded(run_query(shop, compare).data) == [
        {
            "paid_clicks": 230.0,
            "paid_clicks_previous": 300.0,
            "paid_clicks_change": round(-70 / 300, 9),
        }
    ]


def test_session_metrics_read_the_sessions_table(store: Store) -> None:
    insert_sessions(
        store,
        [
            {"date": "2025-03-01", "source": "google", "sessions": 40, "revenue": 120.0},
            {"date": "2025-03-01", "source": "bing", "sessions": 10, "revenue": 0.0},
        ],
    )
    metric = register_metric(
        store,
        "google_revenue_per_session",
        "SUM(CASE WHEN utm_source = 'google' THEN revenue ELSE 0 END) / sessions",
    )
    assert metric.table == "sessions"
    assert "CASE WHEN source = 'google'" in metric.sql
    assert run_query(store, {"measures": ["google_revenue_per_session"]}).data == [
        {"google_revenue_per_session": 2.4}
    ]


def test_string_literals_cannot_escape_the_expression(shop: Store) -> None:
    metric = register_metric(
        shop, "quoted", "SUM(CASE WHEN platform = 'x'' OR 1=1 --' THEN spend ELSE 0 END)"
    )
    assert metric.sql == "SUM(CASE WHEN platform = 'x'' OR 1=1 --' THEN spend ELSE 0 END)"
    assert run_query(shop, {"measures": ["quoted"]}).data == [{"quoted": 0.0}]
    assert shop.query("SELECT count(*) AS n FROM ad_performance") == [{"n": 7}]


def test_custom_metrics_belong_to_a_workspace(shop: Store) -> None:
    register_metric(shop, "doubled", "2 * spend", workspace="other")
    assert run_query(shop, {"measures": ["doubled"]}, workspace="other").data == [
        {"doubled": 1998.0}
    ]
    with pytest.raises(QueryError, match="unknown measure 'doubled'"):
        run_query(shop, {"measures": ["doubled"]})
    assert list_metrics(shop) == [] and len(list_metrics(shop, "other")) == 1


def test_load_metrics_from_yaml_all_or_nothing(shop: Store, tmp_path: Path) -> None:
    good = write(
        tmp_path / "metrics.yaml",
        """
metrics:
  - name: meta_spend
    expression: SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)
    format: currency
    description: Spend on Meta
  - name: meta_part
    expression: meta_spend / spend
    format: percent
""",
    )
    assert [m.name for m in load_metrics_yaml(shop, good)] == ["meta_spend", "meta_part"]
    assert rounded(run_query(shop, {"measures": ["meta_part"]}).data) == [
        {"meta_part": round(200 / 350, 9)}
    ]
    as_mapping = write(
        tmp_path / "mapping.yaml",
        """
metrics:
  meta_spend: {expression: "SUM(spend)"}
  broken: {expression: "SUM(spend); DROP TABLE metrics"}
""",
    )
    with pytest.raises(MetricDefinitionError, match="; is not allowed"):
        load_metrics_yaml(shop, as_mapping)
    unchanged = {m.name: m.expression for m in list_metrics(shop)}
    assert unchanged == {
        "meta_part": "meta_spend / spend",
        "meta_spend": "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)",
    }
    for text, message in [
        ("metrics: 3", "expected `metrics:`"),
        ("metrics:\n  - {name: x}", "needs a name and an expression"),
        ("metrics:\n  - {name: x, expression: SUM(spend), colour: red}", "unknown keys: colour"),
        ("metrics: [", "cannot read metrics"),
        ("- {name: x, expression: SUM(spend), format: money}", "unknown format 'money'"),
    ]:
        with pytest.raises(MetricDefinitionError, match=message):
            load_metrics_yaml(shop, write(tmp_path / "bad.yaml", text))


def test_the_metrics_table_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "metrics.duckdb"
    with open_store(path) as store:
        register_metric(store, "double_spend", "2 * spend")
    with open_store(path) as store:
        assert [m.name for m in list_metrics(store)] == ["double_spend"]


def test_a_replacement_that_makes_a_cycle_is_refused(store: Store) -> None:
    register_metric(store, "base_spend", "SUM(spend)")
    register_metric(store, "double_spend", "2 * base_spend")
    with pytest.raises(MetricDefinitionError, match="'base_spend' refers to itself"):
        register_metric(store, "base_spend", "double_spend + 1", replace=True)
    assert {m.name: m.expression for m in list_metrics(store)} == {
        "base_spend": "SUM(spend)",
        "double_spend": "2 * base_spend",
    }


def test_counting_rows_per_spec_data_type(shop: Store) -> None:
    register_metric(shop, "fact_rows", "COUNT(*)")
    spec = {
        "metrics": [
            {"name": "fact_rows", "data_type": "meta_ads"},
            {"name": "total_fact_rows", "data_type": "google_ads"},
            {"name": "total_spend", "data_type": "google_ads"},
        ]
    }
    assert run_query(shop, spec).data == [
        {"fact_rows": 3, "total_fact_rows": 2, "total_spend": 120.0}
    ]


def test_yaml_mapping_shorthand_and_bad_entries(tmp_path: Path) -> None:
    from adlens.query.errors import MetricDefinitionError
    from adlens.store import open_store

    good = tmp_path / "good.yaml"
    good.write_text("metrics:\n  cost_per_k: 1000 * spend / impressions\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("metrics:\n  broken: [1, 2]\n")
    with open_store(tmp_path / "m.duckdb") as store:
        assert [m.name for m in load_metrics_yaml(store, good)] == ["cost_per_k"]
        with pytest.raises(MetricDefinitionError, match="needs a name and an expression"):
            load_metrics_yaml(store, bad)
