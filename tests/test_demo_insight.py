"""The demo's campaigns consolidate, its channels are set, and its planted problems are
found by the quality suggestions and the reconciliation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adlens.consolidate import campaign_map, cross_platform
from adlens.demo import run_demo
from adlens.demo_data import MIN_DAYS
from adlens.store import Store, open_store

END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("demo")
    import adlens.demo_data as demo_data

    original = demo_data.write_demo_exports

    def dated(directory: Path, days: int = MIN_DAYS) -> list[Path]:
        return original(directory, end_date=END, days=days)

    with pytest.MonkeyPatch.context() as patch:  # a fixed end date keeps the numbers fixed
        patch.setattr("adlens.demo.write_demo_exports", dated)
        run_demo(folder, folder / "demo.duckdb", days=MIN_DAYS)
    with open_store(folder / "demo.duckdb") as store:
        yield store


def test_summer_sale_is_one_campaign_across_platforms_and_ga4(demo: Store) -> None:
    groups: dict[str, list[tuple[str, str]]] = {}
    for row in campaign_map(demo):
        groups.setdefault(row["canonical_campaign"], []).append(
            (row["platform"], row["campaign_name"])
        )
    assert groups == {
        "Always-on Brand": [("linkedin", "Always-on Brand")],
        "Always-on | Awareness": [("meta", "Always-on | Awareness")],
        "Brand": [
            ("ga4", "Brand - Bing"),
            ("ga4", "Brand_US_Search"),
            ("google_ads", "Brand_UK_Search"),
            ("google_ads", "Brand_US_Search"),
            ("microsoft", "Brand - Bing"),
        ],
        "Brand - Followers": [("ga4", "Brand - Followers")],
        "Generic": [
            ("ga4", "Generic_US_Search"),
            ("google_ads", "Generic_UK_Search"),
            ("google_ads", "Generic_US_Search"),
        ],
        "Notoriété marque": [("meta", "Notoriété marque")],
        "PMax": [("ga4", "PMax_US"), ("google_ads", "PMax_UK"), ("google_ads", "PMax_US")],
        "Soldes d'été 2025": [("meta", "Soldes d'été 2025")],
        "Summer Sale 2025": [
            ("ga4", "summer_sale_2025"),
            ("google_ads", "Summer_Sale_2025_UK_Search"),
            ("google_ads", "Summer_Sale_2025_US_Search"),
            ("linkedin", "Summer Sale 2025"),
            ("meta", "Summer Sale 2025 | Prospecting"),
            ("meta", "Summer Sale 2025 | Retargeting"),
            ("meta", "summer sale 2025 | prospecting"),
            ("microsoft", "Summer Sale 2025 - Bing"),
            ("tiktok", "summer_sale_2025_tt"),
        ],
        "brand awareness": [("ga4", "brand_awareness_tt"), ("tiktok", "brand_awareness_tt")],
        "weekly_newsletter": [("ga4", "weekly_newsletter")],
    }


def test_untagged_campaigns_are_flagged(demo: Store) -> None:
    rows = {r["canonical_campaign"]: r for r in cross_platform(demo)}
    flagged = sorted(name for name, row in rows.items() if row["gap_flag"])
    assert flagged == ["Always-on Brand", "Notoriété marque", "Soldes d'été 2025"]
    summer = rows["Summer Sale 2025"]
    assert summer["platforms"] == ["google_ads", "linkedin", "meta", "microsoft", "tiktok", "ga4"]
    assert summer["blended_cpa"] == round(summer["spend"] / summer["ga4_conversions"], 4)


def test_planted_problems_are_suggested(demo: Store) -> None:
    found = []
    for platform, quality in demo.con.execute(
        "SELECT platform, quality FROM ingests ORDER BY ingest_id"
    ).fetchall():
        for fix in json.loads(quality)["suggestions"]:
            found.append(
                (platform, fix["kind"], fix["field"], fix.get("campaign_name"), fix["value"])
            )
    assert found == [
        ("google_ads", "outlier", "spend", "PMax_US", 0.0),
        ("google_ads", "outlier", "spend", "PMax_US", 0.0),
        ("google_ads", "outlier", "spend", "PMax_US", 0.0),
        ("meta", "near_duplicate", "campaign_name", None, "summer sale 2025 | prospecting"),
        ("meta", "outlier", "spend", "Summer Sale 2025 | Retargeting", 551.31),
    ]
