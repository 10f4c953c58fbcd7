"""Event-level accuracy of adlens's series anomaly scores on labelled synthetic KPI series.

    python bench/anomaly.py [--series 40] [--seed 11] [--out bench/RESULTS.md]

Generates seeded hourly and daily KPI series (weekly and daily seasonality, trend, noise, gaps,
duplicate rows) with planted spikes, drops, level shifts, trend breaks and tracking outages,
scores them in batch and online mode and with a plain Isolation Forest on the raw values, and
reports event-level precision, recall and F1 (bench/README.md defines them). Only the
section ``anomaly`` of --out is rewritten (``sections.py``).
"""

from __future__ import annotations

import argparse
import itertools
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest

from adlens.anomaly.series import score_rows

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import write_section

HOUR, DAY = 3600.0, 86400.0
KINDS = ("spike", "drop", "level_shift", "trend_break", "tracking_outage")


@dataclass
class Series:
    """One labelled series: row timestamps (with gaps and duplicates), values, event windows."""

    name: str
    seconds: np.ndarray
    values: np.ndarray
    events: list[tuple[str, float, float]] = field(default_factory=list)  # kind, first, last


def generate(index: int, rng: np.random.Generator) -> Series:
    """An hourly (4 weeks) or daily (26 weeks) series with 3-4 non-overlapping events."""
    hourly = index % 2 == 0
    step, n = (HOUR, 28 * 24) if hourly else (DAY, 182)
    per_day = 24 if hourly else 1
    t = 1_735_689_600.0 + np.arange(n) * step  # 2025-01-01 00:00 UTC, a Wednesday
    hour = (t // HOUR) % 24
    weekday = (t // DAY + 3) % 7
    weekly = rng.uniform(0.7, 1.3, 7)
    weekly /= weekly.mean()
    daily = 1 + 0.6 * np.sin((hour - 9) / 24 * 2 * np.pi) if hourly else np.ones(n)
    trend = np.exp(rng.uniform(-0.002, 0.004) * np.arange(n) / per_day)
    level = rng.uniform(200, 5000) * weekly[weekday.astype(int)] * daily * trend
    factor = np.ones(n)
    events: list[tuple[str, float, float]] = []
    kinds = list(rng.choice(KINDS, size=int(rng.integers(3, 5)), replace=False))
    # Events start after two weeks (the history a baseline needs) and keep apart.
    slots = np.linspace(14 * per_day, n - 4 * per_day, len(kinds) + 1).astype(int)
    for kind, (lo, hi) in zip(kinds, itertools.pairwise(slots), strict=False):
        begin = int(rng.integers(lo, max(lo + 1, hi - 4 * per_day)))
        if kind == "spike":
            length = int(rng.integers(1, 4)) if hourly else 1
            factor[begin : begin + length] *= rng.uniform(2.5, 4)
        elif kind == "drop":
            length = int(rng.integers(1, 4)) if hourly else 1
            factor[begin : begin + length] *= rng.uniform(0.15, 0.4)
        elif kind == "level_shift":
            length = 2 * per_day if hourly else 7
            factor[begin:] *= rng.choice([rng.uniform(1.7, 2.2), rng.uniform(0.4, 0.55)])
        elif kind == "trend_break":
            length = per_day if hourly else 7
            growth = np.linspace(0, np.log(rng.uniform(1.8, 2.3)), length)
            factor[begin : begin + length] *= np.exp(growth)
            factor[begin + length :] *= np.exp(growth[-1])
            length += per_day if hourly else 3  # the adaptation time after the break
        else:  # tracking outage: the tag stops, the value reads 0
            length = int(rng.integers(3, 13)) if hourly else int(rng.integers(1, 4))
            factor[begin : begin + length] = 0
        last = min(n - 1, begin + length - 1)
        events.append((kind, float(t[begin]), float(t[last])))
    noise = np.exp(rng.normal(0, 0.08, n))
    values = np.round(level * factor * noise, 2)
    keep = rng.random(n) > 0.02  # gaps: 2% of the rows are missing
    repeat = rng.random(n) < 0.01  # duplicate rows: 1% of the rows appear twice
    rows = np.concatenate([np.flatnonzero(keep), np.flatnonzero(keep & repeat)])
    rows.sort(kind="stable")
    return Series(f"{'hourly' if hourly else 'daily'}-{index}", t[rows], values[rows], events)


def plain_isolation_forest(series: Series, seed: int) -> np.ndarray:
    """The baseline: scikit-learn's Isolation Forest on the raw values, default settings."""
    model = IsolationForest(random_state=seed)
    return np.asarray(model.fit_predict(series.values.reshape(-1, 1)) == -1)


def event_counts(series: Series, flagged: np.ndarray) -> tuple[int, int, int]:
    """(events detected, events, false-positive runs) for one series; see bench/README.md."""
    order = np.argsort(series.seconds, kind="stable")
    stamps, flags = series.seconds[order], flagged[order]
    inside = np.zeros(len(stamps), dtype=bool)
    detected = 0
    for _, first, last in series.events:
        window = (stamps >= first) & (stamps <= last)
        inside |= window
        detected += bool((flags & window).any())
    outside = flags & ~inside
    runs = int(outside[0]) + int(((outside[1:]) & ~(outside[:-1])).sum()) if len(outside) else 0
    return detected, len(series.events), runs


def evaluate(
    all_series: list[Series], detector: Callable[[Series], np.ndarray]
) -> dict[str, float]:
    detected = events = false = 0
    clock = time.perf_counter()
    for series in all_series:
        d, e, f = event_counts(series, detector(series))
        detected, events, false = detected + d, events + e, false + f
    seconds = time.perf_counter() - clock
    precision = detected / (detected + false) if detected + false else 0.0
    recall = detected / events if events else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "detected": detected,
        "events": events,
        "false_runs": false,
        "seconds": seconds,
    }


def per_kind(all_series: list[Series], detector: Callable[[Series], np.ndarray]) -> dict[str, str]:
    found: dict[str, list[int]] = {kind: [0, 0] for kind in KINDS}
    for series in all_series:
        flags = detector(series)
        for kind, first, last in series.events:
            window = (series.seconds >= first) & (series.seconds <= last)
            found[kind][0] += bool((flags & window).any())
            found[kind][1] += 1
    return {kind: f"{a}/{b}" for kind, (a, b) in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "RESULTS.md")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    data = [generate(i, rng) for i in range(args.series)]
    detectors: dict[str, Callable[[Series], np.ndarray]] = {
        "adlens batch": lambda s: score_rows(s.seconds, s.values).is_anomaly,
        "adlens online": lambda s: score_rows(s.seconds, s.values, online=True).is_anomaly,
        "plain Isolation Forest (baseline)": lambda s: plain_isolation_forest(s, args.seed),
    }
    results = {name: evaluate(data, detector) for name, detector in detectors.items()}
    kinds = {name: per_kind(data, detector) for name, detector in detectors.items()}
    report = render(args, data, results, kinds)
    print(report)
    write_section(args.out, "anomaly", report)


def render(
    args: argparse.Namespace,
    data: list[Series],
    results: dict[str, dict[str, float]],
    kinds: dict[str, dict[str, str]],
) -> str:
    rows = sum(len(s.values) for s in data)
    events = sum(len(s.events) for s in data)
    lines = [
        "## Anomaly detection (`bench/anomaly.py`)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}",
        f"- command: `python bench/anomaly.py --series {args.series} --seed {args.seed}`",
        f"- data: {len(data)} seeded series ({len(data) // 2 + len(data) % 2} hourly over 4 weeks,"
        f" {len(data) // 2} daily over 26 weeks), {rows:,} rows with 2% gaps and 1% duplicate"
        f" rows, {events} labelled events",
        "- scoring: event level, as defined in bench/README.md",
        "",
        "| method | precision | recall | F1 | events found | false alerts (runs) | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
            f"{r['detected']}/{r['events']} | {r['false_runs']} | {r['seconds']:.2f} |"
        )
    batch, online = results["adlens batch"]["f1"], results["adlens online"]["f1"]
    base = results["plain Isolation Forest (baseline)"]["f1"]
    lines += [
        "",
        "Events found per kind:",
        "",
        "| method | " + " | ".join(KINDS) + " |",
        "|---|" + "---|" * len(KINDS),
    ]
    for name, found in kinds.items():
        lines.append(f"| {name} | " + " | ".join(found[k] for k in KINDS) + " |")
    ratio = batch / base if base else float("inf")
    lines += [
        "",
        f"Targets: batch F1 >= 0.9: {'PASS' if batch >= 0.9 else 'FAIL'} ({batch:.3f}); "
        f"online F1 >= 0.8: {'PASS' if online >= 0.8 else 'FAIL'} ({online:.3f}); "
        f"baseline F1 {base:.3f} (batch / baseline = {ratio:.1f}x).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
