"""Campaign consolidation: name reduction, the stored map, overrides, CSV review, the
cross-platform view and its reconciliation."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from adlens.consolidate import (
    build_campaign_map,
    campaign_map,
    cross_platform,
    export_csv,
    import_csv,
    set_override,
)
from adlens.consolidate.names import display_name, reduce_name, similar_core
from adlens.errors import CampaignMapError
from adlens.ingest import ingest_file
from adlens.store import Store

from .conftest import write

TIKTOK_HEADER = (
    "By Day,Campaign name,Cost,Impressions,Clicks (destination),Conversions,"
    "Total complete payment value,Currency\n"
)
GA4_HEADER = (
    "Date,Session source / medium,Session campaign,Sessions,Engaged sessions,Key events,"
    "Total revenue\n"
)


def tiktok(tmp_path: Path, name: str, *rows: str) -> Path:
    return write(tmp_path / name, TIKTOK_HEADER + "".join(r + "\n" for r in rows))


def ga4(tmp_path: Path, name: str, *rows: str) -> Path:
    return write(tmp_path / name, GA4_HEADER + "".join(r + "\n" for r in rows))


@pytest.mark.parametrize(
    ("name", "core", "confidence"),
    [
        ("Summer Sale 2024", "summer sale 2024", 0.95),
        ("summer_sale_2024", "summer sale 2024", 0.95),
        ("SUMMER-SALE-2024 | FB", "summer sale 2024", 0.9),
        ("summer_sale_2024_tt", "summer sale 2024", 0.9),
        ("Summer Sale 2024 - UK", "summer sale 2024", 0.85),
        ("Summer Sale 2024 | Retargeting", "summer sale 2024", 0.8),
        ("Summer_Sale_2024_US_Search", "summer sale 2024", 0.8),
        ("PMax_US", "pmax", 0.85),
        ("Search", "search", 0.95),  # never reduced to nothing
        ("Soldes d'été 2025", "soldes d été 2025", 0.95),
    ],
)
def test_names_reduce_to_their_campaign(name: str, core: str, confidence: float) -> None:
    assert reduce_name(name) == reduce_name(name).__class__(name, core, confidence)


def test_similar_cores_are_typos_with_the_same_numbers() -> None:
    cores = ["summer sale 2024", "winter sale 2024", "brand"]
    assert [similar_core(c, cores) for c in ("sumer sale 2024", "summer sale 2023", "brnd")] == [
        ("summer sale 2024", 0.97),
        None,
        None,  # too short to judge
    ]


def test_display_names_prefer_readable_spellings() -> None:
    assert [
        display_name(
            "summer sale 2024", ["summer_sale_2024", "SUMMER-SALE-2024", "Summer Sale 2024"]
        ),
        display_name("summer sale 2024", ["summer_sale_2024_tt", "SUMMER_SALE_2024 | FB"]),
    ] == ["Summer Sale 2024", "SUMMER SALE 2024"]


def _map(store: Store) -> list[tuple[str, str, str, float, str]]:
    return [
        (r["platform"], r["campaign_name"], r["canonical_campaign"], r["confidence"], r["method"])
        for r in campaign_map(store)
    ]


def test_each_load_maps_new_names_and_respells_the_campaign(store: Store, tmp_path: Path) -> None:
    ingest_file(
        store, ga4(tmp_path, "ga4.csv", "20250301,facebook / cpc,summer_sale_2024,80,40,2,100")
    )
    assert _map(store) == [("ga4", "summer_sale_2024", "summer_sale_2024", 1.0, "auto")]
    ingest_file(
        store,
        tiktok(
            tmp_path,
            "tt.csv",
            "2025/03/01,Summer Sale 2024,10.00,1000,100,1,50.00,USD",
            "2025/03/01,SUMMER-SALE-2024 | FB,10.00,1000,100,1,50.00,USD",
            "2025/03/01,Sumer Sale 2024,1.00,100,10,0,0.00,USD",
            "2025/03/01,Summer Sale 2023,1.00,100,10,0,0.00,USD",
            "2025/03/01,(not set),1.00,100,10,0,0.00,USD",
        ),
    )
    assert _map(store) == [
        ("tiktok", "(not set)", "(not set)", 1.0, "auto"),  # a platform's name is a name
        ("tiktok", "Summer Sale 2023", "Summer Sale 2023", 1.0, "auto"),  # another year
        ("ga4", "summer_sale_2024", "Summer Sale 2024", 0.95, "auto"),
        ("tiktok", "SUMMER-SALE-2024 | FB", "Summer Sale 2024", 0.9, "auto"),
        ("tiktok", "Sumer Sale 2024", "Summer Sale 2024", 0.87, "auto"),  # a typo
        ("tiktok", "Summer Sale 2024", "Summer Sale 2024", 1.0, "auto"),
    ]


def test_overrides_win_on_every_later_load_and_rebuild(store: Store, tmp_path: Path) -> None:
    ingest_file(store, tiktok(tmp_path, "a.csv", "2025/03/01,Brand_tt,1.00,100,10,0,0.00,USD"))
    row = set_override(store, "default", "tiktok", "Brand_tt", "Always-on Brand")
    assert {k: row[k] for k in ("canonical_campaign", "confidence", "method")} == {
        "canonical_campaign": "Always-on Brand",
        "confidence": 1.0,
        "method": "override",
    }
    ingest_file(store, tiktok(tmp_path, "b.csv", "2025/03/02,brand,1.00,100,10,0,0.00,USD"))
    build_campaign_map(store, "default", rebuild=True)
    assert _map(store) == [
        ("tiktok", "Brand_tt", "Always-on Brand", 1.0, "override"),
        ("tiktok", "brand", "brand", 1.0, "auto"),
    ]


def test_overrides_are_checked(store: Store) -> None:
    with pytest.raises(CampaignMapError, match="unknown platform 'facebook'"):
        set_override(store, "default", "facebook", "X", "Y")
    with pytest.raises(CampaignMapError, match="both needed"):
        set_override(store, "default", "meta", "X", "  ")


def test_csv_review_round_trip(store: Store, tmp_path: Path) -> None:
    ingest_file(
        store,
        tiktok(
            tmp_path,
            "tt.csv",
            "2025/03/01,summer_sale_2024_tt,1.00,100,10,0,0.00,USD",
            "2025/03/01,=HYPERLINK(1),1.00,100,10,0,0.00,USD",
            "2025/03/01,Launch,1.00,100,10,0,0.00,USD",
        ),
    )
    path = tmp_path / "map.csv"
    assert export_csv(store, "default", path) == 3
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["platform", "campaign_name", "canonical_campaign", "confidence", "method"],
        ["tiktok", "'=HYPERLINK(1)", "'=HYPERLINK(1)", "1.0", "auto"],
        ["tiktok", "Launch", "Launch", "1.0", "auto"],
        ["tiktok", "summer_sale_2024_tt", "summer sale 2024", "0.9", "auto"],
    ]
    rows[3][2] = "Summer Sale 2024"  # a person fixes the spelling
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert import_csv(store, "default", path) == 1
    assert _map(store) == [
        ("tiktok", "=HYPERLINK(1)", "=HYPERLINK(1)", 1.0, "auto"),
        ("tiktok", "Launch", "Launch", 1.0, "auto"),
        ("tiktok", "summer_sale_2024_tt", "Summer Sale 2024", 1.0, "override"),
    ]
    rows[3][2] = ""  # hand it back to the algorithm
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert import_csv(store, "default", path) == 1
    assert _map(store)[2] == ("tiktok", "summer_sale_2024_tt", "summer sale 2024", 0.9, "auto")


def test_csv_errors_say_where(store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", "platform,campaign_name,canonical_campaign\nfacebook,A,B\n")
    with pytest.raises(CampaignMapError) as caught:
        import_csv(store, "default", bad)
    assert (caught.value.message, caught.value.where) == (
        f"unknown platform 'facebook' on line 2 of {bad}",
        {"file": str(bad), "line": 2},
    )
    header = write(tmp_path / "header.csv", "platform,name\nmeta,A\n")
    with pytest.raises(CampaignMapError, match="no column campaign_name, canonical_campaign"):
        import_csv(store, "default", header)


def test_cross_platform_blends_and_reconciles(store: Store, tmp_path: Path) -> None:
    ingest_file(
        store,
        tiktok(
            tmp_path,
            "tt.csv",
            "2025/03/01,summer_sale_2024_tt,100.00,10000,400,4,400.00,USD",
            "2025/03/02,summer_sale_2024_tt,100.00,10000,400,4,400.00,USD",
            "2025/03/01,Launch,50.00,5000,200,1,80.00,USD",
            "2025/03/01,Tiny,5.00,500,10,0,0.00,USD",
        ),
    )
    ingest_file(
        store,
        ga4(
            tmp_path,
            "ga4.csv",
            "20250301,tiktok / paid_social,Summer Sale 2024,300,200,5,500",
            "20250302,tiktok / paid_social,Summer Sale 2024,340,200,5,700",
            "20250301,tiktok / paid_social,launch,20,10,0,0",
            "20250301,newsletter / email,spring_news,90,50,3,120",
            "20250301,(direct) / (none),(not set),500,300,9,900",
        ),
    )
    rows = cross_platform(store, "default")
    assert rows == [
        {
            "canonical_campaign": "Summer Sale 2024",
            "platforms": ["tiktok", "ga4"],
            "spend": 200.0,
            "impressions": 20000,
            "clicks": 800,
            "conversions": 8.0,
            "conversion_value": 800.0,
            "sessions": 640,
            "ga4_conversions": 10.0,
            "ga4_revenue": 1200.0,
            "blended_cpa": 20.0,
            "blended_roas": 6.0,
            "click_session_gap": -0.2,
            "gap_flag": False,
            "gap_explanation": "sessions are 80% of ad clicks, within the normal 50%–120%: "
            "some clicks never become sessions (visitors leaving before the page loads, "
            "consent, blockers)",
        },
        {
            "canonical_campaign": "Launch",
            "platforms": ["tiktok", "ga4"],
            "spend": 50.0,
            "impressions": 5000,
            "clicks": 200,
            "conversions": 1.0,
            "conversion_value": 80.0,
            "sessions": 20,
            "ga4_conversions": 0.0,
            "ga4_revenue": 0.0,
            "blended_cpa": None,
            "blended_roas": 0.0,
            "click_session_gap": -0.9,
            "gap_flag": True,
            "gap_explanation": "GA4 recorded 20 sessions for 200 ad clicks (10%, normal is "
            "50%–120%): a tracking or UTM problem; check that every ad's URL carries this "
            "campaign's UTMs and that the GA4 tag fires on its landing pages",
        },
        {
            "canonical_campaign": "Tiny",
            "platforms": ["tiktok"],
            "spend": 5.0,
            "impressions": 500,
            "clicks": 10,
            "conversions": 0.0,
            "conversion_value": 0.0,
            "sessions": 0,
            "ga4_conversions": 0.0,
            "ga4_revenue": 0.0,
            "blended_cpa": None,
            "blended_roas": None,
            "click_session_gap": -1.0,
            "gap_flag": False,
            "gap_explanation": "only 10 clicks: too few to judge tracking",
        },
        {
            "canonical_campaign": "spring_news",
            "platforms": ["ga4"],
            "spend": 0.0,
            "impressions": 0,
            "clicks": 0,
            "conversions": 0.0,
            "conversion_value": 0.0,
            "sessions": 90,
            "ga4_conversions": 3.0,
            "ga4_revenue": 120.0,
            "blended_cpa": 0.0,
            "blended_roas": None,
            "click_session_gap": None,
            "gap_flag": False,
            "gap_explanation": "GA4 sessions only: no ad clicks are mapped to this campaign",
        },
    ]
    day = cross_platform(store, "default", date(2025, 3, 2), date(2025, 3, 2), by_day=True)
    assert [(r["canonical_campaign"], r["date"], r["spend"], r["sessions"]) for r in day] == [
        ("Summer Sale 2024", "2025-03-02", 100.0, 340)
    ]


@pytest.mark.parametrize(
    ("clicks", "sessions", "flag", "start"),
    [
        (1000, 0, True, "1,000 ad clicks but no GA4 session carries this campaign"),
        (1000, 300, True, "GA4 recorded 300 sessions for 1,000 ad clicks (30%"),
        (1000, 500, False, "sessions are 50% of ad clicks"),
        (1000, 1200, False, "sessions are 120% of ad clicks"),
        (1000, 1500, True, "GA4 recorded 1,500 sessions for 1,000 ad clicks (150%"),
    ],
)
def test_reconciliation_band(clicks: int, sessions: int, flag: bool, start: str) -> None:
    from adlens.consolidate import reconcile

    result = reconcile(clicks, sessions)
    assert (result["gap_flag"], result["gap_explanation"].startswith(start)) == (flag, True)


GOOGLE_TAGGED = (
    "Day,Campaign,Final URL,Currency code,Cost,Impr.,Clicks\n"
    "2025-03-01,Spring Promo,https://acme.test/?utm_source=google&utm_medium=cpc"
    "&utm_campaign=SP24-G,USD,10,1000,100\n"
)


@pytest.mark.parametrize("ga4_first", [True, False])
def test_ga4_campaigns_follow_the_ads_tagged_with_them(
    store: Store, tmp_path: Path, ga4_first: bool
) -> None:
    google = write(tmp_path / "google.csv", GOOGLE_TAGGED)
    sessions = ga4(tmp_path, "ga4.csv", "20250301,google / cpc,sp24-g,90,60,2,100")
    for path in (sessions, google) if ga4_first else (google, sessions):
        ingest_file(store, path)
    assert _map(store) == [
        ("ga4", "sp24-g", "Spring Promo", 0.95, "auto"),
        ("google_ads", "Spring Promo", "Spring Promo", 1.0, "auto"),
    ]
    (row,) = cross_platform(store, "default")
    assert (row["canonical_campaign"], row["clicks"], row["sessions"], row["gap_flag"]) == (
        "Spring Promo",
        100,
        90,
        False,
    )


def test_unreadable_and_unwritable_files(store: Store, tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    with pytest.raises(CampaignMapError) as caught:
        import_csv(store, "default", missing)
    assert caught.value.message == f"{missing}: cannot be read (No such file or directory)"
    with pytest.raises(CampaignMapError) as caught:
        export_csv(store, "default", tmp_path / "no-such-folder" / "map.csv")
    assert caught.value.hint == "choose a file in a folder you can write to"
