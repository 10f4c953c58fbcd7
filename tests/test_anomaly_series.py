"""Anomaly scores for any KPI series: batch and online, CSV in and out, no look-ahead."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from adlens.anomaly import detect_csv, score_rows
from adlens.cli import app
from adlens.errors import MappingError

from .conftest import write

runner = CliRunner()
START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday


def hourly_series(seed: int = 5, days: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """Hourly clicks with a daily and a weekly cycle and 8% noise; hour 400 spikes 3x."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24)
    daily = 1 + 0.6 * np.sin((hours % 24 - 9) / 24 * 2 * np.pi)
    weekly = np.where((hours // 24) % 7 >= 5, 0.75, 1.0)
    values = 400 * daily * weekly * np.exp(rng.normal(0, 0.08, len(hours)))
    values[400] *= 3
    seconds = START.timestamp() + hours * 3600.0
    return seconds, np.round(values, 1)


def test_a_spike_in_an_hourly_series_with_gaps_and_duplicates_is_the_only_anomaly() -> None:
    seconds, values = hourly_series()
    keep = np.ones(len(values), dtype=bool)
    keep[[50, 51, 52, 300]] = False  # gaps
    seconds, values = seconds[keep], values[keep]
    seconds = np.append(seconds, seconds[396])  # hour 400 (after 4 gaps) ... and a repeat
    values = np.append(values, values[396])
    for online in (False, True):
        flagged = np.flatnonzero(score_rows(seconds, values, online=online).is_anomaly)
        assert list(flagged) == [396, len(values) - 1], online


def test_a_tracking_outage_in_a_daily_series_is_flagged_every_day() -> None:
    days = np.arange(70)
    values = 1000 * np.where(days % 7 >= 5, 0.7, 1.0) * (1 + 0.03 * np.sin(days))
    values[[50, 51, 52]] = 0.0
    result = score_rows(days * 86400.0, values)
    assert list(np.flatnonzero(result.is_anomaly)) == [50, 51, 52]
    assert np.all((result.score >= 0) & (result.score <= 1))
    assert np.all(result.low[50:53] > 0)  # the band says what was expected


@pytest.mark.parametrize("cut", [30, 200, 333, 334, 450])
def test_online_scores_of_a_prefix_do_not_change_when_rows_are_appended(cut: int) -> None:
    seconds, values = hourly_series(seed=9)
    order = np.random.default_rng(1).permutation(len(values))  # rows in any file order
    shuffled_s, shuffled_v = seconds[order], values[order]
    full = score_rows(shuffled_s, shuffled_v, online=True)
    early = seconds[order] <= seconds[cut]  # the rows up to a point in time
    prefix = score_rows(shuffled_s[early], shuffled_v[early], online=True)
    assert np.array_equal(prefix.score, full.score[early])
    assert np.array_equal(prefix.expected[early[early]], full.expected[early], equal_nan=True)


def test_batch_scores_use_the_whole_series() -> None:
    seconds, values = hourly_series(seed=9)
    full = score_rows(seconds, values)
    prefix = score_rows(seconds[:300], values[:300])
    assert not np.array_equal(prefix.score, full.score[:300])


def test_detect_csv_writes_every_row_with_its_score(tmp_path: Path) -> None:
    lines = ["day,spend,note"]
    for i in range(35):
        day = (START + timedelta(days=i)).date()
        spend = 500.0 if i != 30 else 2500.0
        lines.append(f"{day},{spend + (i % 7) * 10},row {i}")
    lines.insert(10, lines[9])  # a duplicate row
    lines.append(",,blank")  # a row without a timestamp or value
    source = write(tmp_path / "kpi.csv", "\n".join(lines) + "\n")
    out = tmp_path / "scored.csv"
    counts = detect_csv(source, "day", "spend", out)
    assert counts == {"rows": 37, "scored": 36, "anomalies": 1}
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "day", "spend", "note", "anomaly_score", "is_anomaly", "expected", "expected_low",
        "expected_high",
    ]  # fmt: skip
    assert [r["note"] for r in rows] == [line.split(",")[2] for line in lines[1:]]
    assert [r["note"] for r in rows if r["is_anomaly"] == "true"] == ["row 30"]
    assert rows[10]["anomaly_score"] == rows[9]["anomaly_score"]  # the duplicate, same score
    assert rows[-1]["anomaly_score"] == "0.0"
    assert all(0 <= float(r["anomaly_score"]) <= 1 for r in rows)


def test_scored_csv_passes_text_through_inert(tmp_path: Path) -> None:
    source = write(
        tmp_path / "kpi.csv",
        "day,spend,note\n2025-01-01,10,=cmd|' /C calc'!A0\n2025-01-02,11,-5\n2025-01-03,12,ok\n",
    )
    out = tmp_path / "scored.csv"
    detect_csv(source, "day", "spend", out)
    with out.open() as handle:
        notes = [r["note"] for r in csv.DictReader(handle)]
    assert notes == ["'=cmd|' /C calc'!A0", "-5", "ok"]


def test_the_cli_scores_a_csv_online(tmp_path: Path) -> None:
    seconds, values = hourly_series()
    text = "ts,clicks\n" + "".join(
        f"{datetime.fromtimestamp(s, UTC):%Y-%m-%d %H:%M:%S},{v}\n"
        for s, v in zip(seconds, values, strict=True)
    )
    source = write(tmp_path / "clicks.csv", text)
    out = tmp_path / "out.csv"
    args = ["detect", "--csv", str(source), "--timestamp-column", "ts"]
    result = runner.invoke(app, [*args, "--value-column", "clicks", "--online", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"504 rows, 504 scored, 1 anomalous → {out}\n"
    with out.open() as handle:
        flagged = [r["ts"] for r in csv.DictReader(handle) if r["is_anomaly"] == "true"]
    assert flagged == ["2025-03-19 16:00:00"]


def test_bad_csv_input_says_what_and_where(tmp_path: Path) -> None:
    source = write(tmp_path / "kpi.csv", "day,spend\n2025-01-01,5\nyesterday,6\n")
    with pytest.raises(MappingError) as missing:
        detect_csv(source, "date", "spend", tmp_path / "o.csv")
    assert missing.value.message == f"{source}: has no column 'date' (given as --timestamp-column)"
    assert missing.value.hint == "use one of: day, spend"
    with pytest.raises(MappingError) as bad:
        detect_csv(source, "day", "spend", tmp_path / "o.csv")
    assert bad.value.message == f"{source}: line 3: 'yesterday' in 'day' is not a timestamp"
    result = runner.invoke(app, ["detect", "--csv", str(source), "--out", "x.csv"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --csv needs --timestamp-column, --value-column")


def test_timestamps_with_offsets_and_ga4_days_are_read(tmp_path: Path) -> None:
    lines = ["when,v"] + [f"202503{d:02d},{100 + d % 3}" for d in range(1, 21)]
    lines += ["2025-03-15T02:00:00+02:00,300", "2025-03-15T00:00:00Z,500"]
    source = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    assert detect_csv(source, "when", "v", tmp_path / "o.csv") == {
        "rows": 22,
        "scored": 22,
        "anomalies": 3,  # the three rows of 2025-03-15, and no other
    }
    with (tmp_path / "o.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    # 02:00+02:00, midnight Z and 20250315 are one instant: one observation (their mean, 300).
    same = [r for r in rows if r["when"].startswith(("20250315", "2025-03-15"))]
    assert len(same) == 3
    assert len({(r["anomaly_score"], r["is_anomaly"], r["expected"]) for r in same}) == 1
    assert same[0]["is_anomaly"] == "true"
