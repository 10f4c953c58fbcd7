"""The feature table: every column documented, each formula checked on known numbers."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from adlens.cli import app
from adlens.errors import MappingError
from adlens.features import build_features
from adlens.store import Store

from .conftest import write

DOCS = Path(__file__).parent.parent / "docs"
FIRST = date(2025, 6, 23)  # a Monday


def add(store: Store, *rows: dict[str, Any]) -> None:
    """Store fact rows as a load would (the columns a row leaves out are NULL)."""
    for number, row in enumerate(rows):
        values = {
            "workspace": "default",
            "grain": "day",
            "ingest_id": 1,
            "source_file": "test.csv",
            "source_row": number,
            **row,
        }
        store.con.execute(
            f"INSERT INTO ad_performance ({', '.join(values)}) "
            f"VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )


def day(n: int) -> date:
    return FIRST + timedelta(days=n)


def facts(campaign: str, n: int, spend: float, **more: Any) -> dict[str, Any]:
    return {
        "platform": "meta",
        "account_id": "act1",
        "campaign_name": campaign,
        "date": day(n),
        "spend": spend,
        "impressions": int(spend * 100),
        "clicks": int(spend),
        "conversions": spend / 10,
        "conversion_value": spend * 3,
        **more,
    }


@pytest.fixture
def filled(store: Store) -> Store:
    """Campaign A on days 0-14 without day 5; B on days 3-14; a range row and an hour row."""
    add(store, *(facts("A", n, 100.0 + n) for n in range(15) if n != 5))
    add(store, *(facts("B", n, 50.0) for n in range(3, 15)))
    add(store, {**facts("A", 0, 999.0), "grain": "range", "date": None})  # never a day
    add(store, {**facts("C", 2, 7.0), "grain": "hour"})  # hours count where no day row is
    return store


def rows_of(table: Any, campaign: str) -> list[dict[str, Any]]:
    return [r for r in table.to_pylist() if r["campaign_name"] == campaign]


def test_every_feature_column_is_documented(filled: Store) -> None:
    text = (DOCS / "features.md").read_text()
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    for level in ("campaign", "platform"):
        produced = set(build_features(filled, level=level).column_names)
        assert produced - documented == set(), level
    assert len(documented) >= 60


def test_a_day_without_rows_inside_the_span_is_a_zero_activity_day(filled: Store) -> None:
    table = build_features(filled)
    a = rows_of(table, "A")
    assert [r["date"] for r in a] == [day(n) for n in range(15)]
    gap = a[5]
    assert (gap["has_rows"], gap["spend"], gap["clicks"], gap["ctr"], gap["cpc"], gap["roas"]) == (
        False, 0.0, 0, None, None, None,
    )  # fmt: skip
    assert [r["date"] for r in rows_of(table, "B")] == [day(n) for n in range(3, 15)]
    assert [(r["date"], r["spend"]) for r in rows_of(table, "C")] == [(day(2), 7.0)]
    assert sum(r["spend"] for r in table.to_pylist()) == pytest.approx(
        sum(100.0 + n for n in range(15) if n != 5) + 12 * 50 + 7
    )  # the range row is not in any day


def test_ratios_calendar_lags_and_windows(filled: Store) -> None:
    a = rows_of(build_features(filled), "A")
    r = a[10]  # 2025-07-03, a Thursday; spend 110
    spend = [0.0 if n == 5 else 100.0 + n for n in range(15)]
    window7 = spend[4:11]
    past28 = spend[0:10]
    mean28 = sum(past28) / len(past28)
    std28 = math.sqrt(sum((s - mean28) ** 2 for s in past28) / (len(past28) - 1))
    expected = {
        "ctr": 110 / 11000,
        "cpc": 1.0,
        "cpm": 10.0,
        "cpa": 10.0,
        "cvr": 0.1,
        "roas": 3.0,
        "impressions_per_click": 100.0,
        "log_spend": math.log(111),
        "day_of_week": 4,
        "is_weekend": False,
        "week_of_year": 27,
        "month": 7,
        "day_of_month": 3,
        "age_days": 10,
        "spend_lag_1": 109.0,
        "spend_lag_7": 103.0,
        "spend_mean_7": sum(window7) / 7,
        "spend_zscore_28": (110 - mean28) / std28,
        "spend_pct_change_1": 1 / 109,
        "spend_pct_change_7": 7 / 103,
        "cumulative_spend": sum(spend[:11]),
        "month_to_date_spend": sum(spend[8:11]),
        "active_days_28": 10,
        "spend_share_platform": 110 / 160,
        "spend_share_account": 110 / 160,
    }
    assert {k: r[k] for k in expected} == pytest.approx(expected)
    assert a[0]["spend_lag_1"] is None and a[0]["spend_zscore_28"] is None


def test_holidays_follow_the_country(filled: Store) -> None:
    us = rows_of(build_features(filled), "A")
    july4 = us[11]
    assert (july4["date"], july4["is_holiday"], july4["holiday_name"]) == (
        date(2025, 7, 4), True, "Independence Day",
    )  # fmt: skip
    assert [r["date"] for r in us if r["is_holiday_window"]] == [day(10), day(11), day(12)]
    french = rows_of(build_features(filled, holiday_country="FR"), "A")
    assert [r["date"] for r in french if r["is_holiday"]] == []
    with pytest.raises(MappingError, match="no holiday calendar for country 'XX'"):
        build_features(filled, holiday_country="XX")


def test_budget_pacing(filled: Store, tmp_path: Path) -> None:
    budgets = write(
        tmp_path / "budgets.csv",
        "campaign_name,budget,start,end\nA,1500,2025-06-23,2025-07-02\n",
    )
    a = rows_of(build_features(filled, budgets=budgets), "A")
    spent = sum(100.0 + n for n in range(5))  # days 0-4 of a 10-day budget
    assert {k: a[4][k] for k in ("budget", "budget_spend_to_date", "budget_remaining")} == {
        "budget": 1500.0,
        "budget_spend_to_date": pytest.approx(spent),
        "budget_remaining": pytest.approx(1500 - spent),
    }
    assert a[4]["budget_pacing"] == pytest.approx(spent / (1500 * 5 / 10))
    assert a[10]["budget"] is None  # outside the budget's period
    monthly = rows_of(build_features(filled, budgets={"A": 3000}), "A")
    assert monthly[10]["budget_pacing"] == pytest.approx(
        sum(100.0 + n for n in range(8, 11)) / (3000 * 3 / 31)
    )  # July 1-3 of a July budget
    with pytest.raises(MappingError, match="line 2: not a budget"):
        build_features(filled, budgets=write(tmp_path / "b.csv", "campaign_name,budget\nA,lots\n"))


def test_platform_level_and_the_cli(filled: Store, tmp_path: Path) -> None:
    platform = build_features(filled, level="platform").to_pylist()
    assert [(r["platform"], r["date"], r["spend"]) for r in platform[:4]] == [
        ("meta", day(0), 100.0),
        ("meta", day(1), 101.0),
        ("meta", day(2), 109.0),
        ("meta", day(3), 153.0),
    ]
    assert platform[3]["spend_share_workspace"] == 1.0
    filled.close()
    out = tmp_path / "f.parquet"
    result = CliRunner().invoke(
        app, ["features", "--db", str(tmp_path / "adlens.duckdb"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"28 rows (campaign x day) written to {out}\n"
    assert pq.read_table(out).num_rows == 28


def test_the_cli_refuses_an_unknown_level(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["features", "--db", str(tmp_path / "x.duckdb"), "--level", "ad", "--json"]
    )
    assert result.exit_code == 2
    assert "--level must be campaign or platform" in result.output
