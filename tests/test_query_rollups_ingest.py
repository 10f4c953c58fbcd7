"""Rollups stay exact through real loads, restatements and new exchange rates."""

from __future__ import annotations

from pathlib import Path

from adlens import fx
from adlens.ingest import ingest_file
from adlens.query import run_query
from adlens.query.rollups import use_rollups
from adlens.store import Store

from .conftest import EXPORTS, write

SERIES = {
    "measures": ["spend", "clicks", "ctr", "roas"],
    "dimensions": ["platform"],
    "timeDimensions": [
        {"dimension": "ts", "granularity": "day", "dateRange": ["2025-03-01", "2025-03-31"]}
    ],
    "order": [["ts.day", "asc"], ["platform", "asc"]],
}


def both(store: Store) -> tuple[list[dict[str, object]], list[dict[str, object]], str]:
    planned = run_query(store, SERIES)
    with use_rollups(False):
        base = run_query(store, SERIES)
    return planned.data, base.data, planned.metadata["rollup"]


def test_loads_restatements_and_rates_keep_rollups_exact(store: Store, tmp_path: Path) -> None:
    for name in (
        "google_ads_campaign_daily.csv",
        "tiktok_ads_daily.csv",
        "microsoft_ads_daily.csv",
    ):
        ingest_file(store, EXPORTS / name)
    planned, base, rollup = both(store)
    assert rollup == "rollup_ad_platform_day_utc"
    assert planned == base and len(planned) == 7

    header = "Day,Account,Customer ID,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost"
    restated = write(
        tmp_path / "restated.csv",
        f"{header}\n2025-03-02,Acme US,123-456-7890,Brand_US_Search,20211001,USD,999,99,99.00\n",
    )
    assert ingest_file(store, restated).rows_replaced == 2
    planned, base, _ = both(store)
    assert planned == base
    assert [
        r["spend"] for r in planned if r["ts.day"] == "2025-03-02" and r["platform"] == "google_ads"
    ] == [99.0]

    ingest_file(store, EXPORTS / "google_ads_excel_utf16.csv")  # GBP: no spend until a rate
    fx.set_rate(store, "GBP", 1.25, reporting_currency="USD")
    planned, base, _ = both(store)
    assert planned == base
