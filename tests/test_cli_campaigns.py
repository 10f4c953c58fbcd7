"""``adlens channel`` and ``adlens campaigns``: what people and programs see."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from adlens.cli import app

from .conftest import EXPORTS

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_channel_prints_the_channel() -> None:
    assert run("channel", "--source", "l.instagram.com", "--medium", "referral") == (
        0,
        "Organic Social\n",
        "",
    )
    assert run(
        "channel", "--source", "facebook", "--medium", "cpc", "--campaign", "Summer Shop"
    ) == (0, "Paid Shopping\n", "")


def test_campaigns_view_map_review_and_override(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    for name in ("ga4_traffic_acquisition.csv", "meta_ads_daily.csv"):
        assert run("ingest", str(EXPORTS / name), "--db", db)[0] == 0
    code, out, _ = run("campaigns", "--db", db, "--json")
    assert code == 0
    view = {r["canonical_campaign"]: (r["platforms"], r["gap_flag"]) for r in json.loads(out)}
    assert view == {
        # 3,013 link clicks over three days, 377 GA4 sessions on one: flagged.
        "Summer Sale 2025": (["meta", "ga4"], True),
        "Lead Gen Q1": (["meta"], False),
        "Brand Awareness": (["meta"], False),
        "Generic": (["ga4"], False),
    }
    code, out, _ = run("campaigns", "map", "set", "meta", "Lead Gen Q1", "Leads 2025", "--db", db)
    assert (code, out) == (0, "meta 'Lead Gen Q1' -> 'Leads 2025' (override)\n")
    path = tmp_path / "map.csv"
    assert run("campaigns", "map", "export", str(path), "--db", db) == (
        0,
        f"6 campaign names written to {path}\n",
        "",
    )
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [
        (r["platform"], r["campaign_name"], r["canonical_campaign"], r["method"]) for r in rows
    ] == [
        ("meta", "Brand Awareness", "Brand Awareness", "auto"),
        ("ga4", "Generic_US_Search", "Generic", "auto"),
        ("meta", "Lead Gen Q1", "Leads 2025", "override"),
        ("ga4", "summer_sale_2025", "Summer Sale 2025", "auto"),
        ("meta", "Summer Sale 2025 | Prospecting", "Summer Sale 2025", "auto"),
        ("meta", "summer sale 2025 | prospecting", "Summer Sale 2025", "auto"),
    ]
    rows[0]["canonical_campaign"] = "Brand"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert run("campaigns", "map", "import", str(path), "--db", db) == (
        0,
        "1 campaign names changed\n",
        "",
    )
    code, out, _ = run("campaigns", "map", "list", "--db", db, "--json")
    overrides = [
        (r["campaign_name"], r["canonical_campaign"])
        for r in json.loads(out)
        if r["method"] == "override"
    ]
    assert overrides == [("Brand Awareness", "Brand"), ("Lead Gen Q1", "Leads 2025")]
    code, _, err = run("campaigns", "map", "set", "fb", "X", "Y", "--db", db)
    assert (code, err.splitlines()[0]) == (2, "error: unknown platform 'fb'")
    code, _, err = run("campaigns", "--start", "2025-02-30", "--db", db)
    assert (code, err.splitlines()[0]) == (2, "error: --start '2025-02-30' is not a date")


def test_campaigns_for_people(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    for name in ("ga4_traffic_acquisition.csv", "meta_ads_daily.csv"):
        assert run("ingest", str(EXPORTS / name), "--db", db)[0] == 0
    code, out, _ = run("campaigns", "--db", db)
    lines = out.splitlines()
    assert code == 0
    assert lines[-1] == (
        "⚠ Summer Sale 2025: GA4 recorded 377 sessions for 3,013 ad clicks (13%, normal is "
        "50%–120%): a tracking or UTM problem; check that every ad's URL carries this "
        "campaign's UTMs and that the GA4 tag fires on its landing pages"
    )
    assert out.count("⚠ gap") == 1
    code, out, _ = run("campaigns", "--by-day", "--db", db)
    assert (
        code,
        out.splitlines()[-1].startswith("⚠ Summer Sale 2025 on 2025-03-02: 2,611 ad clicks"),
    ) == (
        0,
        True,
    )
    code, out, _ = run("campaigns", "map", "list", "--db", db)
    methods = [line.split()[-1] for line in out.splitlines()[2:] if line.strip()]
    assert (code, methods.count("auto")) == (0, 6)
    assert run("campaigns", "map", "rebuild", "--db", db) == (
        0,
        "6 campaign names mapped to 4 campaigns\n",
        "",
    )
