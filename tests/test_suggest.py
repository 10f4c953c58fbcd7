"""Suggested fixes in the quality report: near-duplicates, outliers, UTM lint; never applied."""

from __future__ import annotations

from pathlib import Path

from adlens.ingest import ingest_file
from adlens.ingest.suggest import near_duplicates
from adlens.store import Store

from .conftest import write


def test_near_duplicates_name_the_usual_spelling() -> None:
    counts = [
        ("Summer Sale", 40),
        ("summer sale ", 3),
        ("SUMMER_SALE", 1),
        ("Sumer Sale", 2),
        ("Summer Sale 2024", 5),  # another campaign: its number differs
        ("Summer Sale 2025", 5),
        ("Brand", 9),
        ("Brnd", 1),  # too short to call a typo
    ]
    found = [
        (s["value"], s["suggestion"], s["confidence"], s["rows"])
        for s in near_duplicates("campaign_name", counts)
    ]
    assert found == [
        ("summer sale ", "Summer Sale", 0.95, 3),
        ("SUMMER_SALE", "Summer Sale", 0.95, 1),
        ("Sumer Sale", "Summer Sale", 0.9, 2),
    ]


def _daily(tmp_path: Path, spends: list[str]) -> Path:
    lines = [
        "By Day,Campaign name,Cost,Impressions,Clicks (destination),Conversions,"
        "Total complete payment value,Currency"
    ]
    for day, spend in enumerate(spends, start=1):
        lines.append(f"2025/03/{day:02d},Always On,{spend},10000,100,1,50.00,USD")
        lines.append(f"2025/03/{day:02d},Sumer Sale,1.00,100,10,0,0.00,USD")
        lines.append(f"2025/03/{day:02d},Summer Sale,5.00,500,50,0,0.00,USD")
        lines.append(f"2025/03/{day:02d},Summer Sale,5.00,600,50,0,0.00,USD")
    return write(tmp_path / "tiktok.csv", "\n".join(lines) + "\n")


def test_outliers_and_near_duplicates_in_the_report(store: Store, tmp_path: Path) -> None:
    spends = ["100.00", "104.00", "98.00", "101.00", "99.00", "97.00", "103.00", "420.00"]
    report = ingest_file(store, _daily(tmp_path, spends))
    found = [
        {k: s[k] for k in ("kind", "field", "value", "suggestion", "confidence", "rows")}
        | ({"date": s["date"], "robust_z": s["robust_z"]} if s["kind"] == "outlier" else {})
        for s in report.quality["suggestions"]
    ]
    # Median 100.50, MAD 2.50: 420.00 is 0.6745 * 319.5 / 2.5 = 86.2 robust z-scores away;
    # clicks held, so its CPC (4.20 against a median of 1.005, MAD 0.025) is as far out.
    assert found == [
        {
            "kind": "near_duplicate",
            "field": "campaign_name",
            "value": "Sumer Sale",
            "suggestion": "Summer Sale",
            "confidence": 0.9,
            "rows": 8,
        },
        {
            "kind": "outlier",
            "field": "spend",
            "value": 420.0,
            "suggestion": None,
            "confidence": 0.99,
            "rows": 1,
            "date": "2025-03-08",
            "robust_z": 86.2,
        },
        {
            "kind": "outlier",
            "field": "cpc",
            "value": 4.2,
            "suggestion": None,
            "confidence": 0.99,
            "rows": 1,
            "date": "2025-03-08",
            "robust_z": 86.2,
        },
    ]
    message = report.quality["suggestions"][1]["message"]
    assert message == (
        "spend of 'Always On' on 2025-03-08 is 420.00 USD, 86.2 robust z-scores above its "
        "median 100.50 (MAD 2.50): check the export, or note what changed that day"
    )
    # Suggestions are never applied: the stored names are as exported.
    names = store.query("SELECT DISTINCT campaign_name FROM ad_performance ORDER BY 1")
    assert [r["campaign_name"] for r in names] == ["Always On", "Sumer Sale", "Summer Sale"]


def test_utm_lint_of_tagged_ads(store: Store, tmp_path: Path) -> None:
    url = "https://acme.test/?utm_source="
    path = write(
        tmp_path / "google.csv",
        "Day,Campaign,Final URL,Currency code,Cost,Impr.,Clicks\n"
        f"2025-03-01,A,{url}Facebook&utm_medium=paid-social&utm_campaign=a,USD,1,10,1\n"
        f"2025-03-02,A,{url}Facebook&utm_medium=paid-social&utm_campaign=a,USD,1,10,1\n"
        f"2025-03-01,B,{url}partner&utm_medium=flyer&utm_campaign=b,USD,1,10,1\n"
        f"2025-03-01,C,{url}google&utm_medium=cpc,USD,1,10,1\n",
    )
    report = ingest_file(store, path)
    found = [
        (s["field"], s["value"], s["suggestion"], s["confidence"], s["rows"])
        for s in report.quality["suggestions"]
        if s["kind"] == "utm"
    ]
    assert found == [
        ("utm_campaign", None, None, 0.9, 1),
        ("utm_medium", "flyer", None, 0.5, 1),
        ("utm_source", "Facebook", "facebook", 0.95, 2),
    ]


def test_utm_lint_of_ga4_sessions(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "ga4.csv",
        "Date,Session source / medium,Session campaign,Sessions,Key events\n"
        "20250301,google / cpc,(not set),50,1\n"
        "20250301,newsletter / E-Mail,spring,40,1\n"
        "20250301,partner / Paid Social,spring,30,1\n"
        "20250301,(direct) / (none),(not set),500,9\n",
    )
    report = ingest_file(store, path)
    found = [
        (s["field"], s["value"], s["suggestion"], s["rows"])
        for s in report.quality["suggestions"]
        if s["kind"] == "utm"
    ]
    assert found == [
        ("campaign", None, None, 1),
        ("medium", "E-Mail", "email", 1),
        ("medium", "Paid Social", "paid_social", 1),
    ]
