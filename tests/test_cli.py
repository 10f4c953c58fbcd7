"""The command line: what people and programs see."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adlens.cli import app
from adlens.settings import get_settings

from .conftest import EXPORTS, write

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_prints_counts_first_rejects_and_warnings(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    code, out, _ = run("ingest", str(EXPORTS / "tiktok_ads_daily.csv"), "--db", db)
    assert code == 0
    assert "TikTok Ads (confidence" in out
    assert "3 rows loaded, 2 rejected" in out
    assert "rejected line 5: exact duplicate of line 4 (loaded once)" in out
    assert "rejected line 6: Cost is negative (-5.00)" in out
    code, out, _ = run("ingest", str(EXPORTS / "tiktok_ads_daily.csv"), "--db", db)
    assert (code, "already loaded as ingest 1; nothing added" in out) == (0, True)


def test_ingest_json_is_for_programs(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    code, out, _ = run(
        "ingest",
        str(EXPORTS / "google_ads_campaign_daily.csv"),
        str(EXPORTS / "meta_ads_range_fr.csv"),
        "--db",
        db,
        "--json",
    )
    data = json.loads(out)
    assert code == 0
    assert [r["rows_loaded"] for r in data["reports"]] == [5, 2]
    assert data["errors"] == []


def test_ingest_fails_with_exit_code_and_keeps_going(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    empty = write(tmp_path / "empty.csv", "")
    code, out, err = run("ingest", str(empty), str(EXPORTS / "tiktok_ads_daily.csv"), "--db", db)
    assert code == 1
    assert "is empty (0 bytes)" in err and "what to do:" in err
    assert "3 rows loaded" in out
    code, out, _ = run("ingest", str(empty), "--db", db, "--json")
    assert code == 1
    assert json.loads(out)["errors"][0]["code"] == "unreadable_file"


def test_ingest_with_a_mapping(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    code, out, _ = run(
        "ingest",
        str(EXPORTS / "generic_partner_export.csv"),
        "--mapping",
        str(EXPORTS / "generic_partner_mapping.yaml"),
        "--db",
        db,
    )
    assert code == 0 and "2 rows loaded" in out
    bad = write(tmp_path / "bad.yaml", "columns: [1, 2]\n")
    code, _, err = run("ingest", str(EXPORTS / "generic_partner_export.csv"), "--mapping", str(bad))
    assert code == 2 and "needs a 'columns' section" in err


def test_inspect_explains_detection(tmp_path: Path) -> None:
    code, out, _ = run("inspect", str(EXPORTS / "microsoft_ads_daily.csv"))
    assert code == 0
    for expected in (
        "Microsoft Advertising",
        "header line",
        "11",
        "runner up",
        "Gregorian date → date",
        "Spend → spend",
        "Summer Sale 2025 - Bing",
    ):
        assert expected in out
    # Facts read as text, not as Python lists and dicts.
    assert re.search(r"footer lines\s+16\s", out)
    assert "['" not in out and "{'" not in out
    code, out, _ = run("inspect", str(EXPORTS / "meta_ads_range_fr.csv"), "--json")
    info = json.loads(out)
    assert (info["delimiter"], info["decimal_mark"], info["currency"], info["sep_line"]) == (
        ";",
        ",",
        "EUR",
        True,
    )


def test_quality_ingests_and_rejects_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("ingest", str(EXPORTS / "tiktok_ads_daily.csv"), "--db", db)
    code, out, _ = run("quality", "--db", db)
    assert code == 0
    assert "quality" in out and "uniqueness" in out
    assert "exactly repeated an earlier row" in out
    report = json.loads(run("quality", "1", "--db", db, "--json")[1])
    assert set(report["dimensions"]) == {
        "validity",
        "completeness",
        "consistency",
        "uniqueness",
        "timeliness",
    }
    listing = json.loads(run("ingests", "--db", db, "--json")[1])
    assert [(i["ingest_id"], i["rows_loaded"], i["rows_rejected"]) for i in listing] == [(1, 3, 2)]
    wide = runner.invoke(app, ["ingests", "--db", db], env={"COLUMNS": "160"})
    assert "tiktok_ads_daily.csv" in wide.stdout
    rejects = json.loads(run("rejects", "1", "--db", db, "--json")[1])
    assert [r["line"] for r in rejects] == [5, 6]
    assert "line 6: Cost is negative" in run("rejects", "1", "--db", db)[1]
    code, _, err = run("quality", "9", "--db", db)
    assert code == 2 and "no ingest 9" in err


def test_fx_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("ingest", str(EXPORTS / "meta_ads_range_fr.csv"), "--db", db)
    code, out, _ = run("fx", "set", "EUR", "1.1", "--db", db)
    assert code == 0 and "2 rows converted" in out
    assert json.loads(run("fx", "list", "--db", db, "--json")[1])[0]["rate"] == 1.1
    code, _, err = run("fx", "set", "EUR", "0", "--db", db)
    assert code == 2 and "must be positive" in err


def test_a_directory_loads_its_files_in_name_order(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    (exports / "older").mkdir(parents=True)
    for name in ("tiktok_ads_daily.csv", "meta_ads_daily.csv"):
        (exports / name).write_bytes((EXPORTS / name).read_bytes())
    (exports / ".~lock.meta_ads_daily.csv#").write_text("held open by a spreadsheet")
    (exports / "older" / "linkedin.csv").write_bytes(
        (EXPORTS / "linkedin_campaign_performance.csv").read_bytes()
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, _ = run(
        "ingest", str(exports), str(empty), "--db", str(tmp_path / "x.duckdb"), "--json"
    )
    loaded = json.loads(out)
    assert code == 1  # the empty directory failed; the others loaded
    assert [Path(r["file"]).name for r in loaded["reports"]] == [
        "meta_ads_daily.csv",
        "tiktok_ads_daily.csv",
    ]
    assert [(e["file"], e["detail"]) for e in loaded["errors"]] == [
        (str(empty), f"{empty} is a directory with no file in it")
    ]


def test_a_zip_of_several_exports_loads_each_on_its_own(tmp_path: Path) -> None:
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("tiktok.csv", (EXPORTS / "tiktok_ads_daily.csv").read_bytes())
        packed.writestr("broken.csv", b"Day,Campaign name,Amount spent (USD)\n")
        packed.writestr("meta.csv", (EXPORTS / "meta_ads_daily.csv").read_bytes())
    db = str(tmp_path / "x.duckdb")
    code, out, _ = run("ingest", str(archive), "--db", db, "--json")
    loaded = json.loads(out)
    assert code == 1  # one export failed; the others loaded, each on its own
    assert [(r["file"], r["platform"]) for r in loaded["reports"]] == [
        (f"{archive}/meta.csv", "meta"),
        (f"{archive}/tiktok.csv", "tiktok"),
    ]
    assert [e["file"] for e in loaded["errors"]] == [f"{archive}/broken.csv"]
    assert loaded["errors"][0]["detail"] == (
        f"{archive}/broken.csv: has a header (line 1) but no data rows"
    )
    code, out, _ = run("ingest", str(archive), "--db", db)
    assert "= meta.csv: already loaded" in out and "= tiktok.csv: already loaded" in out
    code, out, _ = run("inspect", str(archive), "--member", "tiktok.csv", "--json")
    assert code == 0 and json.loads(out)["member"] == "tiktok.csv"
    code, _, err = run("inspect", str(archive))
    assert code != 0 and "--member" in err


def test_demo_loads_every_platform(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--dir", str(tmp_path / "demo"), "--days", "40", "--json")
    summary = json.loads(out)
    assert code == 0
    assert sorted(r["platform"] for r in summary["totals"]) == [
        "google_ads",
        "linkedin",
        "meta",
        "microsoft",
        "tiktok",
    ]
    assert summary["sessions"]["rows"] > 0
    assert all(r["status"] == "loaded" for r in summary["reports"])
    assert all(r["spend"] > 0 for r in summary["totals"])  # GBP/EUR converted, never mixed


def test_demo_says_how_to_reach_its_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run("demo", "--dir", str(tmp_path / "demo"), "--days", "40")
    assert code == 0
    advice = next(line for line in out.splitlines() if line.startswith("next: "))
    store = advice.split("`export ADLENS_DB=", 1)[1].split("`", 1)[0]
    monkeypatch.setenv("ADLENS_DB", store)  # following the advice reaches the demo's loads
    get_settings.cache_clear()
    code, listed, _ = run("ingests", "--json")
    assert code == 0 and len(json.loads(listed)) == 8


def test_the_installed_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("adlens")
    if not script.exists():
        pytest.skip("adlens is not installed as a script in this environment")
    done = subprocess.run(
        [
            str(script),
            "ingest",
            str(EXPORTS / "linkedin_campaign_performance.csv"),
            "--db",
            str(tmp_path / "x.duckdb"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reports"][0]["rows_loaded"] == 3
    assert done.stderr == ""  # no progress bar when stderr is not a terminal


def test_compact_command(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("ingest", str(EXPORTS / "tiktok_ads_daily.csv"), "--db", db)
    code, out, _ = run("compact", "--db", db)
    assert code == 0 and "ad_performance: 3 rows rewritten" in out
    assert json.loads(run("compact", "--db", db, "--json")[1]) == {
        "ad_performance": 3,
        "sessions": 0,
        "rollup_ad_day": 3,
        "rollup_ad_hour": 0,
        "rollup_ad_range": 0,
        "rollup_ad_hour_day": 0,
        "rollup_ad_platform_day": 2,  # two days, one account
        "rollup_ad_platform_hour": 0,
        "rollup_ad_platform_range": 0,
        "rollup_ad_platform_hour_day": 0,
        "rollup_events_minute": 0,
        "rollup_events_minute_platform": 0,
    }


def test_query_csv_never_writes_a_live_formula(tmp_path: Path) -> None:
    # Campaign names are whatever people typed into the ad platform; a spreadsheet opening
    # the CSV would run this one.
    db = str(tmp_path / "x.duckdb")
    export = write(
        tmp_path / "formula.csv",
        "Day,Campaign,Currency code,Impr.,Clicks,Cost\n"
        '2025-01-01,"=HYPERLINK(""http://x"",""Brand"")",USD,10,1,1.50\n'
        "2025-01-01,-Brand,USD,10,1,0.50\n",
    )
    assert run("ingest", str(export), "--db", db)[0] == 0
    cube = {"measures": ["spend"], "dimensions": ["campaign_name"], "order": {"spend": "desc"}}
    code, out, _ = run("query", json.dumps(cube), "--db", db, "--format", "csv")
    assert code == 0
    assert list(csv.reader(out.splitlines())) == [
        ["campaign_name", "spend"],
        ['\'=HYPERLINK("http://x","Brand")', "1.5"],
        ["'-Brand", "0.5"],
    ]


def test_query_command_in_every_format(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("ingest", str(EXPORTS / "google_ads_campaign_daily.csv"), "--db", db)
    cube = {
        "measures": ["spend", "clicks"],
        "dimensions": ["campaign_name"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-01", "2025-03-03"]}],
        "order": {"spend": "desc"},
    }
    code, out, _ = run("query", json.dumps(cube), "--db", db, "--format", "json")
    assert code == 0
    assert json.loads(out)["data"] == [
        {"campaign_name": "Generic_US_Search", "spend": 2064.48, "clicks": 1104},
        {"campaign_name": "Brand_US_Search", "spend": 1044.95, "clicks": 2524},
    ]
    query_file = tmp_path / "q.json"
    query_file.write_text(json.dumps(cube))
    code, out, _ = run("query", str(query_file), "--db", db, "--format", "csv")
    assert out.splitlines() == [
        "campaign_name,spend,clicks",
        "Generic_US_Search,2064.48,1104",
        "Brand_US_Search,1044.95,2524",
    ]
    wide = runner.invoke(app, ["query", json.dumps(cube), "--db", db], env={"COLUMNS": "160"})
    assert "Generic_US_Search" in wide.stdout and "answered by rollup_ad_day" in wide.stdout
    code, _, err = run("query", "{not json", "--db", db)
    assert code == 2 and "not valid JSON" in err
    code, _, err = run("query", '{"measures": ["spendd"]}', "--db", db)
    assert code == 2 and "did you mean" in err.lower()


def test_metrics_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("ingest", str(EXPORTS / "google_ads_campaign_daily.csv"), "--db", db)
    code, out, _ = run(
        "metrics",
        "add",
        "brand_spend",
        "SUM(CASE WHEN campaign_name = 'Brand_US_Search' THEN spend ELSE 0 END)",
        "--description",
        "brand search spend",
        "--db",
        db,
    )
    assert code == 0 and "reads ad_performance" in out
    result = json.loads(
        run("query", '{"measures": ["brand_spend"]}', "--db", db, "--format", "json")[1]
    )
    assert result["data"] == [{"brand_spend": pytest.approx(1044.95)}]
    assert [m["name"] for m in json.loads(run("metrics", "list", "--db", db, "--json")[1])] == [
        "brand_spend"
    ]
    assert "brand search spend" in run("metrics", "list", "--db", db)[1]
    code, _, err = run("metrics", "add", "evil", "spend); DROP TABLE ingests; --", "--db", db)
    assert code == 2 and "not allowed" in err
    metrics_file = write(
        tmp_path / "m.yaml", "metrics:\n  cost_per_k: 1000 * spend / impressions\n"
    )
    assert (
        "1 metrics loaded: cost_per_k" in run("metrics", "load", str(metrics_file), "--db", db)[1]
    )
    assert run("metrics", "remove", "brand_spend", "--db", db)[1].strip() == "removed brand_spend"
    code, _, err = run("metrics", "remove", "brand_spend", "--db", db)
    assert code == 2 and "no custom metric" in err


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["ingest"], ["DuckDB file to use.", "$ADLENS_DB or ./adlens.duckdb", "$ADLENS_WORKSPACE"]),
        (["quality"], ["Ingest to show.", "the latest"]),
    ],
)
def test_help_shows_defaults_taken_from_the_environment(
    command: list[str], shown: list[str]
) -> None:
    # Square brackets in help text are Rich markup: a default written as "[default: ...]"
    # vanished from the help, leaving "DuckDB file to use ." behind.
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in shown:
        assert text in result.output


@pytest.mark.parametrize("command", [["ingest"], ["inspect"], ["query"], ["detect"], ["serve"]])
def test_help_paragraphs_flow_as_prose(command: list[str]) -> None:
    # The line breaks of a docstring are not the terminal's: kept, they left one word on
    # its own line wherever a wrapped line met them ("... (Meta, ..., GA4)" / "is").
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    description = result.output.split("Usage:", 1)[1].split("╭", 1)[0]
    paragraphs = [p.splitlines() for p in re.split(r"\n\s*\n", description) if p.strip()][1:]
    assert paragraphs, description
    for lines in paragraphs:
        # Every line but a paragraph's last is filled to near the terminal's width.
        assert all(len(line.strip()) > 40 for line in lines[:-1]), description


def test_narrow_terminal_wraps_text_cells_and_never_splits_a_number() -> None:
    from rich.console import Console

    from adlens.cli import _table

    table = _table("platform name", "impressions", "spend")
    table.add_row("google_ads search campaigns", "24,920,174", "-1,234.5")
    table.add_row("meta", "9,965,935", "12.0")
    console = Console(width=36, record=True)
    console.print(table)
    lines = console.export_text().splitlines()
    assert any("24,920,174" in line for line in lines)
    assert any("-1,234.5" in line for line in lines)
    assert len(lines) > 4  # the long platform name wrapped instead
    assert all(len(line.rstrip()) <= 36 for line in lines)
    # numbers are right-aligned: the two spend values end in the same column
    ends = [
        line.rstrip().rfind(value) + len(value)
        for line in lines
        for value in ("-1,234.5", "12.0")
        if value in line
    ]
    assert len(set(ends)) == 1
