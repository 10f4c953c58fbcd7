"""From flagged days to incidents: one per run of consecutive days, measured in money.

A day is flagged for a metric when its robust z-score reaches the threshold, or reaches 70% of
it while the Isolation Forest ranks the entity-day among its most unusual 2%. Consecutive
flagged days moving the same way are one incident. The incident's ``actual`` and expected band
are sums over its days for spend, impressions and conversions, and the ratio of the sums
(actual) and the median daily band (expected) for the ratios.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from adlens.anomaly.baseline import THRESHOLD
from adlens.anomaly.facts import RATIOS, EntitySeries

MODEL_QUANTILE = 0.98  # Isolation Forest rank above which a weaker deviation is enough
MODEL_Z_SHARE = 0.7
# The additive quantity behind each metric: the drill-down splits its change among children.
DRIVER_QUANTITY = {
    "spend": "spend",
    "impressions": "impressions",
    "conversions": "conversions",
    "cpc": "spend",
    "cpm": "spend",
    "cpa": "conversions",
    "ctr": "clicks",
    "roas": "conversion_value",
}


@dataclass
class Incident:
    """A run of unusual days of one metric of one entity."""

    series: EntitySeries
    metric: str
    first: int  # index of the first day in series.days
    last: int
    actual: float
    expected: float
    expected_low: float
    expected_high: float
    peak_z: float
    model_score: float | None
    money_at_stake: float = 0.0
    severity: float = 0.0
    driver: str | None = None
    triage: str = "performance change"
    kind: str = "performance change"
    explanation: str = ""
    related: list[str] = field(default_factory=list)
    drivers: list[tuple[str, float]] = field(default_factory=list)  # (child label, share)

    @property
    def start(self) -> date:
        return self.series.days[self.first]

    @property
    def end(self) -> date:
        return self.series.days[self.last]

    @property
    def direction(self) -> int:
        return 1 if self.actual >= self.expected else -1

    @property
    def deviation(self) -> float | None:
        if not self.expected:
            return None
        return (self.actual - self.expected) / abs(self.expected)

    def overlaps(self, other: Incident) -> bool:
        return self.start <= other.end and other.start <= self.end


def find_incidents(series: EntitySeries, threshold: float = THRESHOLD) -> list[Incident]:
    """The incidents of every scored metric of one entity."""
    found = []
    for metric, scored in series.scored.items():
        if metric not in DRIVER_QUANTITY:
            continue  # clicks and value are scored only to drill down into
        z = scored.z
        flagged = np.abs(z) >= threshold
        if series.model_score is not None:
            flagged |= (np.abs(z) >= MODEL_Z_SHARE * threshold) & (
                series.model_score >= MODEL_QUANTILE
            )
        for first, last in _runs(flagged, np.sign(z)):
            found.append(_measure(series, metric, first, last))
    return found


def _runs(flagged: np.ndarray, sign: np.ndarray) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in np.flatnonzero(flagged):
        index = int(i)
        if runs and runs[-1][1] == index - 1 and sign[index] == sign[runs[-1][1]]:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _measure(series: EntitySeries, metric: str, first: int, last: int) -> Incident:
    scored = series.scored[metric]
    days = slice(first, last + 1)
    if metric in RATIOS:
        numerator, denominator, scale = RATIOS[metric]
        bottom = float(series.measures[denominator][days].sum())
        top = float(series.measures[numerator][days].sum())
        actual = scale * top / bottom if bottom else float("nan")
        expected = float(np.nanmedian(scored.expected[days]))
        low = float(np.nanmedian(scored.low[days]))
        high = float(np.nanmedian(scored.high[days]))
    else:
        actual = float(series.measures[metric][days].sum())
        expected = float(np.nansum(scored.expected[days]))
        low = float(np.nansum(scored.low[days]))
        high = float(np.nansum(scored.high[days]))
    z = scored.z[days]
    model = None if series.model_score is None else float(series.model_score[days].max())
    return Incident(
        series=series,
        metric=metric,
        first=first,
        last=last,
        actual=actual,
        expected=expected,
        expected_low=max(low, 0.0),
        expected_high=high,
        peak_z=float(z[np.argmax(np.abs(z))]),
        model_score=model,
    )


def money_at_stake(incident: Incident) -> float:
    """What the incident is worth in the reporting currency (docs/anomalies.md)."""
    series, metric = incident.series, incident.metric
    days = slice(incident.first, incident.last + 1)
    measures = {name: float(values[days].sum()) for name, values in series.measures.items()}
    gap = abs(incident.actual - incident.expected)
    history = slice(max(0, incident.first - 28), incident.first)
    typical = {name: float(values[history].sum()) for name, values in series.measures.items()}

    def rate(top: str, bottom: str) -> float:
        return typical[top] / typical[bottom] if typical[bottom] else 0.0

    if metric == "spend":
        return gap
    if metric == "impressions":
        return gap * rate("spend", "impressions")
    if metric == "conversions":
        per_conversion = rate("conversion_value", "conversions") or rate("spend", "conversions")
        return gap * per_conversion
    if metric == "cpc":
        return gap * measures["clicks"]
    if metric == "cpm":
        return gap * measures["impressions"] / 1000
    if metric == "ctr":
        return gap * measures["impressions"] * rate("spend", "clicks")
    if metric == "cpa":
        return gap * measures["conversions"]
    return gap * measures["spend"]  # roas


def severity(incident: Incident, reference_spend: float, threshold: float = THRESHOLD) -> float:
    """0..1: how sure (peak |z| against twice the threshold) times how much money is at stake.

    Money weighs 70%: an incident worth a typical day of the workspace's spend (or more) gets
    the full weight; statistical strength alone gives at most 0.3.
    """
    strength = min(1.0, abs(incident.peak_z) / (2 * threshold))
    weight = min(1.0, incident.money_at_stake / reference_spend) if reference_spend > 0 else 1.0
    return round(strength * (0.3 + 0.7 * weight), 4)
