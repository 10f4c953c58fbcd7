"""Measures finished after aggregation (``adlens.query.post``): the same numbers as SQL.

The engine asks SQL only for the aggregates and computes ratios, comparisons and changes in
Python. Two oracles check it: DuckDB evaluating each measure's arithmetic on the same
aggregate values, and the single SQL statement (``compile_plan``) on the same store.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from adlens.query import register_metric, run_query
from adlens.query.compile import choose_source, compile_plan, compile_split
from adlens.query.engine import _json_rows, plan_query
from adlens.query.expression import compile_definition
from adlens.query.post import AGGREGATES, Aggregates, formula
from adlens.query.semantic import BUILTIN_MEASURES, CustomDefinition, Registry
from adlens.store import Store

from .query_helpers import SHOP, assert_same_rows, day, insert_facts

NOW = datetime(2025, 3, 5, 12, 0)
CUSTOM = {
    "margin": "conversion_value - spend",
    "negative_spend": "-spend",
    "weighted": "(clicks + conversions) * 2 / impressions",
    "scaled": "SUM(clicks) * 1.5 + 7",
    "meta_share": "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END) / spend",
    "kept_clicks": "NULLIF(SUM(clicks), 0)",
    "rows": "COUNT(*)",
}
EXPRESSIONS = [m.expression for m in BUILTIN_MEASURES.values()] + [
    compile_definition(CustomDefinition(name, text), Registry()).expression
    for name, text in CUSTOM.items()
]
NUMBERS = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, 0.0, -0.0, 1, 1e-9]),
    st.floats(-1e12, 1e12, allow_nan=False),
)


def _duckdb_value(expression: exp.Expr, values: list[Any]) -> Any:
    """DuckDB's value of ``expression`` with its aggregates replaced by ``values``."""
    found = Aggregates()
    columns: dict[str, str] = {}

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, AGGREGATES):
            index = found.add(node)
            value = values[index]
            kind = "HUGEINT" if isinstance(value, int) else "DOUBLE"
            columns[f"a{index}"] = f"CAST({'NULL' if value is None else repr(value)} AS {kind})"
            return exp.column(f"a{index}")
        return node

    outer = expression.copy().transform(replace)
    inner = ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
    query = f"SELECT {outer.sql('duckdb')} FROM (SELECT {inner})"
    return duckdb.connect().execute(query).fetchall()[0][0]


@pytest.mark.parametrize("expression", EXPRESSIONS, ids=lambda e: e.sql()[:40])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_each_formula_computes_what_duckdb_computes(expression: exp.Expr, data: Any) -> None:
    found = Aggregates()
    computed = formula(expression.copy(), found)
    assert computed is not None
    values = [data.draw(NUMBERS) for _ in found.expressions]
    ours, theirs = computed.evaluate(values), _duckdb_value(expression, values)
    if theirs is None or (isinstance(theirs, float) and not math.isfinite(theirs)):
        assert ours is None or not math.isfinite(ours), (values, ours, theirs)
    elif isinstance(theirs, int):
        assert ours == theirs, (values, ours, theirs)
    else:
        assert ours == pytest.approx(float(theirs), rel=1e-12, abs=1e-300), (values, ours, theirs)


def test_aggregates_are_read_once_however_many_measures_use_them() -> None:
    found = Aggregates()
    for name in ("spend", "cpc", "cpa", "roas", "ctr"):
        assert formula(BUILTIN_MEASURES[name].expression.copy(), found) is not None
    assert [a.sql() for a in found.expressions] == [
        "SUM(spend)",
        "SUM(clicks)",
        "SUM(conversions)",
        "SUM(conversion_value)",
        "SUM(impressions)",
    ]
    assert found.empty() == [None] * 5


def test_arithmetic_it_cannot_evaluate_is_left_to_sql() -> None:
    import sqlglot

    for text in ("ROUND(SUM(spend), 2)", "CAST(SUM(clicks) AS TEXT)", "SUM(spend) % 3"):
        assert formula(sqlglot.parse_one(text), Aggregates()) is None, text


# --- whole queries against the single statement ----------------------------------------------


@pytest.fixture
def shop(store: Store) -> Store:
    insert_facts(store, SHOP)
    register_metric(store, "margin", "conversion_value - spend")
    register_metric(store, "rows", "COUNT(*)")
    return store


def one_statement(store: Store, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer of the single SQL statement the plan also renders to (``compile_plan``)."""
    plan = plan_query(store, request, now=NOW)
    sql = compile_plan(plan, choose_source(plan)).sql("duckdb")
    cursor = store.con.execute(sql, ["default"])
    return _json_rows(cursor.description, cursor.fetchall())


KPIS = ["spend", "impressions", "clicks", "ctr", "cpc", "cpa", "roas", "margin"]
SPLIT: dict[str, dict[str, Any]] = {
    "kpi tiles with previous period": {
        "measures": KPIS,
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-02", "2025-03-03"]}],
        "compare": "previous_period",
    },
    "kpi tiles, no data before": {
        "measures": [*KPIS, "rows"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-01", "2025-03-02"]}],
        "compare": "previous_period",
    },
    "top campaigns by spend": {
        "measures": ["spend", "ctr", "cpa", "roas"],
        "dimensions": ["campaign_name"],
        "order": {"spend": "desc"},
        "limit": 2,
    },
    "ordered by a ratio, paged": {
        "measures": ["spend", "ctr"],
        "dimensions": ["platform", "campaign_name"],
        "order": {"ctr": "asc", "campaign_name": "desc"},
        "limit": 2,
        "offset": 1,
    },
    "campaigns with a group filter": {
        "measures": ["spend", "cpc"],
        "dimensions": ["campaign_name"],
        "filters": [{"member": "spend", "operator": "gt", "values": ["60"]}],
    },
}
ONE_STATEMENT: dict[str, dict[str, Any]] = {
    "daily series": {
        "measures": ["spend", "cpc"],
        "timeDimensions": [{"dimension": "ts", "granularity": "day"}],
    },
    "share of total": {"measures": ["spend"], "dimensions": ["platform"], "share": ["spend"]},
    "compare by platform": {
        "measures": ["spend", "ctr"],
        "dimensions": ["platform"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-02", "2025-03-03"]}],
        "compare": "previous_period",
    },
}


@pytest.mark.parametrize("name", SPLIT)
def test_split_plans_give_the_numbers_of_the_single_statement(shop: Store, name: str) -> None:
    request = SPLIT[name]
    plan = plan_query(shop, request, now=NOW)
    assert compile_split(plan, choose_source(plan)) is not None
    result = run_query(shop, request, now=NOW)
    # Ratios are computed after the query; only one SQL must order by is in it.
    ordered_by_ratio = "ctr" in request.get("order", {})
    assert result.metadata["sql"].count("NULLIF") == int(ordered_by_ratio), result.metadata["sql"]
    expected = one_statement(shop, request)
    assert expected, "the comparison is not vacuous"
    assert_same_rows(result.data, expected, rel=1e-14)


def test_kpi_comparison_reads_both_periods_in_one_pass(shop: Store) -> None:
    result = run_query(shop, SPLIT["kpi tiles with previous period"], now=NOW)
    sql = result.metadata["sql"]
    assert "JOIN" not in sql and '"_period"' in sql
    row = result.data[0]
    # 2025-03-02..03 against 2025-03-01 (hand sums of SHOP in test_query_engine)
    assert row["spend"] == one_statement(shop, SPLIT["kpi tiles with previous period"])[0]["spend"]
    assert row["spend_change"] == pytest.approx((row["spend"] - 150.0) / 150.0)


@pytest.mark.parametrize("name", ONE_STATEMENT)
def test_plans_the_split_cannot_answer_run_as_one_statement(shop: Store, name: str) -> None:
    request = ONE_STATEMENT[name]
    plan = plan_query(shop, request, now=NOW)
    assert compile_split(plan, choose_source(plan)) is None
    result = run_query(shop, request, now=NOW)
    sql = result.metadata["sql"]
    assert ' AS "_0"' not in sql and "NULLIF" in sql, sql
    assert_same_rows(result.data, one_statement(shop, request), rel=1e-14)


def test_overlapping_periods_are_left_to_the_join(shop: Store) -> None:
    plan = plan_query(shop, SPLIT["kpi tiles with previous period"], now=NOW)
    assert compile_split(plan, choose_source(plan)) is not None
    # Requests cannot make periods overlap (a year-ago comparison is refused beyond a year);
    # a plan that did would count a row in both periods, which one pass cannot.
    overlapping = replace(plan, compare_range=plan.time_range)
    assert compile_split(overlapping, choose_source(overlapping)) is None


def test_integers_stay_integers_and_sums_carry_15_digits(store: Store) -> None:
    insert_facts(store, [day("2025-03-01", spend=0.1, clicks=3), day("2025-03-01", spend=0.2)])
    result = run_query(store, {"measures": ["spend", "clicks", "cpc"]}, now=NOW)
    assert result.data == [{"spend": 0.3, "clicks": 3, "cpc": 0.1}]
    assert isinstance(result.data[0]["clicks"], int)
