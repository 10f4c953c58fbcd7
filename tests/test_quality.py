"""The quality report finds the problems planted in the demo exports, and scores sensibly."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from adlens.demo_data import PLANTED, write_demo_exports
from adlens.ingest import ingest_file
from adlens.ingest.quality import WEIGHTS, rows
from adlens.store import Store

END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    return {p.name: p for p in write_demo_exports(folder, end_date=END, days=60)}


def recommendations(report: object) -> list[str]:
    return [r["message"] for r in report.quality["recommendations"]]  # type: ignore[attr-defined]


def test_the_bad_day_is_rejected_and_explains_the_totals(
    store: Store, demo_files: dict[str, Path]
) -> None:
    report = ingest_file(store, demo_files["google_ads_campaign_daily.csv"], today=END)
    planted = PLANTED["google_bad_day"]
    assert report.rows_rejected == 1
    assert report.first_rejects[0]["reason"] == "Day 'n/a' is not a date (YYYY-MM-DD)"
    assert planted.target in report.first_rejects[0]["raw"]
    assert all(t["explained_by_rejects"] for t in report.totals_check)
    assert report.quality["dimensions"]["consistency"] == 95.0


def test_the_duplicate_row_loads_once(store: Store, demo_files: dict[str, Path]) -> None:
    report = ingest_file(store, demo_files["tiktok_ads_daily.csv"], today=END)
    day = PLANTED["tiktok_duplicate_row"].dates(END)[0]
    assert [r["reason"].startswith("exact duplicate of line") for r in report.first_rejects] == [
        True
    ]
    assert store.query(
        "SELECT count(*) AS n FROM ad_performance WHERE date = ? AND ad_name = 'UGC video 1'",
        [day],
    ) == [{"n": 1}]
    assert report.quality["dimensions"]["uniqueness"] < 100.0


def test_rows_of_a_breakdown_equal_in_every_stored_value_all_load(
    store: Store, tmp_path: Path
) -> None:
    # Age and Gender are read by no field: the first two rows differ only there, so they
    # are two rows of the export, not one row twice. The last line does repeat line 4.
    header = (
        "Day,Campaign name,Ad name,Age,Gender,Amount spent (USD),Impressions,Link clicks,"
        "Reporting starts,Reporting ends"
    )
    rows_text = [
        "2025-01-01,Summer,Carousel A,18-24,female,0.52,14,0,2025-01-01,2025-01-01",
        "2025-01-01,Summer,Carousel A,25-34,female,0.52,14,0,2025-01-01,2025-01-01",
        "2025-01-01,Summer,Carousel A,25-34,male,3.10,90,2,2025-01-01,2025-01-01",
        "2025-01-01,Summer,Carousel A,25-34,male,3.10,90,2,2025-01-01,2025-01-01",
    ]
    path = tmp_path / "meta_age_gender.csv"
    path.write_text("\n".join([header, *rows_text]) + "\n")
    report = ingest_file(store, path, today=END)
    assert (report.rows_loaded, report.rows_rejected) == (3, 1)
    assert [(r["source_row"], r["reason"]) for r in report.first_rejects] == [
        (5, "exact duplicate of line 4 (loaded once)")
    ]
    total = store.query("SELECT round(sum(spend), 2) AS spend FROM ad_performance")
    assert total == [{"spend": 4.14}]


def test_a_report_without_a_column_gets_one_recommendation_for_it(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "ga4_channels.csv"
    path.write_text(
        "Date,Session default channel group,Sessions\n20250301,Direct,10\n20250301,Email,4\n"
    )
    report = ingest_file(store, path, today=END)
    assert [m for m in recommendations(report) if m.startswith("no row has")] == [
        "no row has a source or medium: where sessions come from is unknown; add Session "
        "source / medium to the report",
        "no row has a campaign: sessions cannot be set beside ad campaigns (`adlens "
        "campaigns`); add the Session campaign dimension to the report",
    ]


def test_the_two_spellings_are_named(store: Store, demo_files: dict[str, Path]) -> None:
    report = ingest_file(store, demo_files["meta_ads_daily.csv"], today=END)
    assert any(
        "appears with 2 spellings: 'Summer Sale 2025 | Prospecting', "
        "'summer sale 2025 | prospecting'" in m
        for m in recommendations(report)
    )


def test_the_tracking_outage_is_visible_in_the_loaded_data(
    store: Store, demo_files: dict[str, Path]
) -> None:
    ingest_file(store, demo_files["google_ads_campaign_daily.csv"], today=END)
    days = PLANTED["google_tracking_outage"].dates(END)
    found = store.query(
        "SELECT date, sum(clicks) AS clicks, sum(conversions) AS conversions FROM ad_performance "
        "WHERE date IN (?, ?) GROUP BY date ORDER BY date",
        list(days),
    )
    assert [(r["clicks"] > 0, r["conversions"]) for r in found] == [(True, 0.0), (True, 0.0)]


def test_fresh_complete_files_score_100(store: Store, demo_files: dict[str, Path]) -> None:
    report = ingest_file(store, demo_files["microsoft_ads_daily.csv"], today=END)
    assert report.quality["score"] == 100.0
    assert report.quality["recommendations"] == []


def test_stale_data_loses_timeliness(store: Store, demo_files: dict[str, Path]) -> None:
    later = END + timedelta(days=46)
    report = ingest_file(store, demo_files["linkedin_campaign_performance.csv"], today=later)
    assert report.quality["dimensions"]["timeliness"] == 50.0
    assert "the newest data is 46 days old (2025-06-30)" in recommendations(report)


def test_weights_add_up_and_counts_read_well() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert (rows(0), rows(1), rows(2), rows(12_345)) == ("0 rows", "1 row", "2 rows", "12,345 rows")
