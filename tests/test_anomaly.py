"""Anomaly detection over the stored facts: the demo's planted events, triage, storage, hook."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adlens import fx
from adlens.anomaly import detect_store, list_anomalies
from adlens.demo import DEMO_RATES
from adlens.demo_data import GOOGLE_DAILY, META_DAILY, PLANTED, TIKTOK_DAILY, write_demo_exports
from adlens.ingest import ingest_file
from adlens.settings import get_settings
from adlens.store import Store, open_store

END = date(2025, 8, 31)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's 90 days loaded into a DuckDB file, as `adlens demo` does."""
    folder = tmp_path_factory.mktemp("demo")
    paths = write_demo_exports(folder / "exports", end_date=END, days=90)
    with open_store(folder / "demo.duckdb") as store:
        for currency, rate in DEMO_RATES.items():
            fx.set_rate(store, currency, rate, reporting_currency="USD")
        for path in paths:
            ingest_file(store, path)
    return folder / "demo.duckdb"


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the demo store (tests write to it)."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, target)
    with open_store(target) as store:
        yield store


def _days(event: str) -> tuple[datetime, datetime]:
    dates = sorted(PLANTED[event].dates(END))
    return datetime.combine(dates[0], datetime.min.time()), datetime.combine(
        dates[-1], datetime.min.time()
    )


def _summary(rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (
            r["level"],
            r["platform"],
            r["campaign_name"],
            r["period_start"],
            r["period_end"],
            r["triage"],
            r["kind"],
        )
        for r in rows
    }


def test_the_demos_planted_events_are_found_with_the_right_triage(demo: Store) -> None:
    incidents = detect_store(demo)
    problem, change = "data problem", "performance change"
    assert _summary(incidents) == {
        ("campaign", "meta", "Summer Sale 2025 | Retargeting", *_days("meta_spend_spike"),
         change, change),
        # Every Google campaign lost its conversions: one incident for the platform.
        ("platform", "google_ads", None, *_days("google_tracking_outage"),
         problem, "tracking stopped"),
        ("campaign", "google_ads", "PMax_US", *_days("google_pmax_paused"),
         problem, "no delivery"),
        ("campaign", "google_ads", "Generic_US_Search", *_days("google_bad_day"),
         problem, "missing rows"),
        ("campaign", "tiktok", "summer_sale_2025_tt", *_days("tiktok_duplicate_row"),
         problem, "duplicate rows"),
        ("campaign", "meta", "Summer Sale 2025 | Prospecting", *_days("meta_campaign_spelling"),
         problem, "missing rows"),
    }  # fmt: skip


def test_incidents_explain_what_happened_and_what_to_do(demo: Store) -> None:
    by_kind = {(r["campaign_name"], r["kind"]): r for r in detect_store(demo)}
    spike = by_kind[("Summer Sale 2025 | Retargeting", "performance change")]
    assert spike["metric"] == "spend" and spike["deviation"] > 1.5
    assert spike["actual"] > spike["expected_high"]
    assert spike["money_at_stake"] == pytest.approx(spike["actual"] - _centre(demo, spike), 0.01)
    outage = by_kind[(None, "tracking stopped")]
    assert outage["metric"] == "conversions"
    assert outage["driver"].startswith("campaign '")
    assert "tag or its import most likely stopped" in outage["explanation"]
    bad_day = by_kind[("Generic_US_Search", "missing rows")]
    assert f"of {GOOGLE_DAILY} names it and was rejected (Day 'n/a'" in bad_day["explanation"]
    renamed = by_kind[("Summer Sale 2025 | Prospecting", "missing rows")]
    assert "loaded as 'summer sale 2025 | prospecting'" in renamed["explanation"]
    duplicate = by_kind[("summer_sale_2025_tt", "duplicate rows")]
    assert duplicate["explanation"].startswith(f"{TIKTOK_DAILY} repeats 1 row of campaign")
    assert duplicate["actual"] > duplicate["expected_high"] == duplicate["expected_low"]
    assert all(0 <= r["severity"] <= 1 for r in by_kind.values())
    # The money at stake orders the severity of these clear-cut incidents.
    ranked = sorted(by_kind.values(), key=lambda r: -r["severity"])
    assert ranked[0] is outage


def _centre(store: Store, row: dict[str, Any]) -> float:
    """The expected value the row's deviation was measured against."""
    return float(row["actual"] / (1 + row["deviation"]))


def test_the_table_holds_one_run_and_list_filters_it(demo: Store) -> None:
    first = detect_store(demo)
    second = detect_store(demo)  # a new run replaces the workspace's rows
    assert _summary(second) == _summary(first)
    stored = list_anomalies(demo)
    assert [r["anomaly_id"] for r in stored] == [r["anomaly_id"] for r in second]
    assert stored == second
    meta = list_anomalies(demo, platform="meta")
    assert meta == [r for r in second if r["platform"] == "meta"]
    start, end = PLANTED["google_tracking_outage"].dates(END)[0], END
    window = list_anomalies(demo, start=start, end=end)
    assert window == [
        r for r in second if r["period_end"].date() >= start and r["period_start"].date() <= end
    ]
    assert list_anomalies(demo, workspace="other") == []


def test_a_duplicate_load_is_a_data_problem(demo: Store) -> None:
    day = date(2025, 8, 20)
    demo.con.execute(
        "INSERT INTO ad_performance SELECT * REPLACE (999 AS ingest_id) FROM ad_performance "
        "WHERE platform = 'microsoft' AND campaign_name = 'Brand - Bing' AND date = ?",
        [day],
    )
    rows = [r for r in detect_store(demo) if r["kind"] == "duplicate load"]
    spend = demo.query(
        "SELECT any_value(spend) AS spend FROM ad_performance WHERE platform = 'microsoft' "
        "AND campaign_name = 'Brand - Bing' AND date = ?",
        [day],
    )[0]["spend"]
    assert [
        (r["platform"], r["campaign_name"], r["period_start"].date(), r["triage"]) for r in rows
    ] == [("microsoft", "Brand - Bing", day, "data problem")]
    assert rows[0]["money_at_stake"] == pytest.approx(spend)
    ingest = demo.query("SELECT ingest_id FROM ingests WHERE platform = 'microsoft'")[0]
    assert f"loads {ingest['ingest_id']}, 999" in rows[0]["explanation"]


def test_an_empty_store_has_no_anomalies(store: Store) -> None:
    assert detect_store(store) == []
    assert list_anomalies(store) == []


def _load_google_with_detection(tmp_path: Path) -> tuple[Store, Any]:
    paths = write_demo_exports(tmp_path / "exports", end_date=END, days=90)
    store = open_store(tmp_path / "x.duckdb")
    google = next(p for p in paths if p.name == GOOGLE_DAILY)
    return store, google


def test_detection_runs_after_each_load_when_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADLENS_DETECT_AFTER_LOAD", "true")
    get_settings.cache_clear()
    store, google = _load_google_with_detection(tmp_path)
    with store:
        report = ingest_file(store, google)
        assert report.warnings[-1].startswith("anomaly detection: ")
        stored = list_anomalies(store)
        assert {(r["campaign_name"], r["kind"]) for r in stored} == {
            (None, "tracking stopped"),
            ("PMax_US", "no delivery"),
            ("Generic_US_Search", "missing rows"),
        }


def test_a_failing_detection_never_fails_or_undoes_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADLENS_DETECT_AFTER_LOAD", "1")
    get_settings.cache_clear()
    store, google = _load_google_with_detection(tmp_path)
    with store:
        store.con.execute("DROP TABLE anomalies")  # detection cannot write its results
        report = ingest_file(store, google)
        assert report.status == "loaded"
        assert report.warnings[-1].startswith(
            "the load is stored, but anomaly detection after it failed (CatalogException"
        )
        rows = store.query("SELECT count(*) AS n FROM ad_performance")[0]["n"]
        assert rows == report.rows_loaded > 0


def test_detection_is_off_by_default(tmp_path: Path) -> None:
    store, google = _load_google_with_detection(tmp_path)
    with store:
        report = ingest_file(store, google)
        assert not any("anomaly" in w for w in report.warnings)
        assert list_anomalies(store) == []


def test_meta_daily_alone_finds_its_own_events(tmp_path: Path) -> None:
    paths = write_demo_exports(tmp_path / "exports", end_date=END, days=90)
    with open_store(tmp_path / "x.duckdb") as store:
        ingest_file(store, next(p for p in paths if p.name == META_DAILY))
        found = {(r["campaign_name"], r["kind"]) for r in detect_store(store)}
    assert found == {
        ("Summer Sale 2025 | Retargeting", "performance change"),
        ("Summer Sale 2025 | Prospecting", "missing rows"),
    }


def test_the_cli_prints_incidents_for_people_and_json_for_programs(
    demo_db: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from adlens.cli import app

    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    runner = CliRunner()
    result = runner.invoke(app, ["detect", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "1.00 data problem · google_ads · conversions · 2025-08-14 → 2025-08-15 · "
    )
    assert lines[1].startswith("    4 parts of Google Ads show tracking stopped at once.")
    assert lines[-1] == "6 incidents stored in `anomalies`"
    as_json = runner.invoke(app, ["detect", "--db", str(db), "--json"])
    rows = json.loads(as_json.stdout)
    assert [(r["campaign_name"], r["kind"]) for r in rows] == [
        (r["campaign_name"], r["kind"]) for r in _stored(db)
    ]
    assert len(rows) == 6


def _stored(db: Path) -> list[dict[str, Any]]:
    with open_store(db) as store:
        return list_anomalies(store)


def test_hourly_facts_are_scanned_by_the_hour(store: Store) -> None:
    """Three weeks of hour rows with a daily cycle; a 2-hour spend spike and a 5-hour
    conversion outage are two incidents, each one row for its hours."""
    import numpy as np

    rng = np.random.default_rng(3)
    start = datetime(2025, 5, 5)
    rows = []
    for i in range(21 * 24):
        ts = start + timedelta(hours=i)
        cycle = 1 + 0.6 * np.sin((ts.hour - 9) / 24 * 2 * np.pi)
        spend = 40 * cycle * np.exp(rng.normal(0, 0.05))
        clicks = int(spend * 2)
        conversions = round(clicks * 0.05, 2)
        if ts in (datetime(2025, 5, 22, 14), datetime(2025, 5, 22, 15)):
            spend *= 4
        if datetime(2025, 5, 24, 10) <= ts <= datetime(2025, 5, 24, 14):
            conversions = 0.0
        rows.append(
            ("default", ts, ts.date(), "hour", "tiktok", "Hourly", round(spend, 2),
             clicks * 50, clicks, conversions, conversions * 40, 1, "h.csv", i)
        )  # fmt: skip
    store.con.executemany(
        "INSERT INTO ad_performance (workspace, ts, date, grain, platform, campaign_name, spend, "
        "impressions, clicks, conversions, conversion_value, ingest_id, source_file, source_row) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    found = detect_store(store, days=30)
    assert [
        (r["level"], r["campaign_name"], r["metric"], r["related_metrics"], r["period_start"],
         r["period_end"], r["triage"], r["kind"])
        for r in sorted(found, key=lambda r: r["period_start"])
    ] == [
        # Spend quadrupled but sales did not follow: the return on spend fell most in money.
        ("campaign", "Hourly", "roas", "cpa, cpc, cpm, spend", datetime(2025, 5, 22, 14),
         datetime(2025, 5, 22, 15), "performance change", "performance change"),
        ("campaign", "Hourly", "conversions", "roas", datetime(2025, 5, 24, 10),
         datetime(2025, 5, 24, 14), "data problem", "tracking stopped"),
    ]  # fmt: skip
    outage = next(r for r in found if r["kind"] == "tracking stopped")
    assert "fell to 0 on 2025-05-24 from 10:00 to 15:00 UTC" in outage["explanation"]


def test_values_carry_the_digits_a_double_holds_not_the_noise_of_summing(demo: Store) -> None:
    rows = detect_store(demo)
    values = [v for row in rows for v in row.values() if type(v) is float]
    assert len(values) > 20
    # e.g. the conversions of the planted outage summed to 100.05000000000001
    assert all(float(f"{v:.15g}") == v for v in values), values
    assert list_anomalies(demo) == rows
