"""Platform detection, forced platforms and the rarer reading paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from adlens.errors import MappingError, UnknownLayoutError
from adlens.ingest import for_platform, ingest_file, inspect_file
from adlens.ingest.platforms import registry
from adlens.ingest.platforms.base import normalize_header, split_currency
from adlens.store import Store

from .conftest import EXPORTS, write


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        ("google_ads_campaign_daily.csv", "google_ads"),
        ("google_ads_excel_utf16.csv", "google_ads"),
        ("google_ads_keywords_de.csv", "google_ads"),
        ("meta_ads_daily.csv", "meta"),
        ("meta_ads_range_fr.csv", "meta"),
        ("tiktok_ads_daily.csv", "tiktok"),
        ("tiktok_ads_daily_fr.csv", "tiktok"),
        ("linkedin_campaign_performance.csv", "linkedin"),
        ("linkedin_de.csv", "linkedin"),
        ("microsoft_ads_daily.csv", "microsoft"),
        ("microsoft_ads_de.csv", "microsoft"),
        ("ga4_traffic_acquisition.csv", "ga4"),
    ],
)
def test_each_platform_is_recognised_with_a_margin(name: str, platform: str) -> None:
    info = inspect_file(EXPORTS / name, preview=0)
    assert info["platform"] == platform
    assert info["confidence"] >= 0.7  # the runner-up scores well below the winner


def test_a_forced_platform_skips_detection(store: Store, tmp_path: Path) -> None:
    # "Day" and "Cost" fit several platforms: too little for detection, enough when the
    # user says which one.
    path = write(tmp_path / "thin.csv", "Day,Cost\n2025-03-01,12.50\n")
    with pytest.raises(UnknownLayoutError, match="no platform recognises"):
        ingest_file(store, path)
    report = ingest_file(store, path, mapping=for_platform("tiktok"))
    assert (report.platform, report.rows_loaded, report.detection["confidence"]) == (
        "tiktok",
        1,
        1.0,
    )


def test_an_unknown_platform_name_suggests_the_right_one() -> None:
    with pytest.raises(UnknownLayoutError) as raised:
        for_platform("tiktock")
    assert raised.value.hint == "did you mean 'tiktok'?"
    assert registry.get("meta").title == "Meta Ads Manager"


def test_cells_with_line_breaks_are_read_serially(store: Store, tmp_path: Path) -> None:
    header = "Day,Campaign,Currency code,Impr.,Clicks,Cost"
    path = write(
        tmp_path / "multiline.csv",
        f'{header}\n2025-03-01,"Brand\nsecond line",USD,10,1,1.00\n\n2025-03-02,B,USD,10,1,,\n',
    )
    report = ingest_file(store, path)
    assert report.rows_loaded == 2
    assert store.query("SELECT campaign_name FROM ad_performance ORDER BY date") == [
        {"campaign_name": "Brand\nsecond line"},
        {"campaign_name": "B"},
    ]


def test_progress_is_reported_while_loading(store: Store) -> None:
    seen: list[float] = []
    ingest_file(store, EXPORTS / "meta_ads_daily.csv", progress=seen.append)
    assert seen and seen[-1] == 100.0
    assert all(0.0 <= p <= 100.0 for p in seen)


def test_mapping_and_platform_are_exclusive(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from adlens.cli import app

    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(EXPORTS / "meta_ads_daily.csv"),
            "--platform",
            "meta",
            "--mapping",
            str(EXPORTS / "generic_partner_mapping.yaml"),
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
    )
    assert result.exit_code == 2
    assert "use --mapping or --platform, not both" in result.stderr
    assert isinstance(MappingError("x"), Exception)


@pytest.mark.parametrize(
    ("header", "normalized", "currency"),
    [
        ("Amount spent (USD)", "amount spent", "USD"),
        ("\ufeffDay", "day", None),
        ("Montant dépensé (EUR)", "montant dépensé", "EUR"),
        ("Start Date (in UTC)", "start date (in utc)", None),
        ("Cost [GBP]", "cost", "GBP"),
        ("CTR (%)", "ctr (%)", None),
    ],
)
def test_headers_are_compared_without_currency_or_case(
    header: str, normalized: str, currency: str | None
) -> None:
    assert normalize_header(header) == normalized
    assert split_currency(header.replace("\ufeff", ""))[1] == currency
