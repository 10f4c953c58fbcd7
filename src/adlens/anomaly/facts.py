"""Daily series of the stored facts per entity, and the per-day expectations of each metric.

Entities are platforms, accounts (only where a platform has more than one) and campaigns, each
with the entity one level below it for the drill-down (account or campaign, and ad group below
a campaign). Series are zero-filled inside an entity's active span (``adlens.features``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from adlens.anomaly.baseline import THRESHOLD, Floats, Scored, score_series
from adlens.features import MEASURES, daily_ctes
from adlens.store import Store

METRICS = ("spend", "impressions", "conversions", "cpc", "cpm", "ctr", "cpa", "roas")
RATIOS: dict[str, tuple[str, str, float]] = {
    # metric: (numerator, denominator, scale); defined when the denominator is large enough
    "cpc": ("spend", "clicks", 1.0),
    "cpm": ("spend", "impressions", 1000.0),
    "ctr": ("clicks", "impressions", 1.0),
    "cpa": ("spend", "conversions", 1.0),
    "roas": ("conversion_value", "spend", 1.0),
}
# A day's ratio is read only above these volumes: below them it is mostly noise.
MIN_DENOMINATOR = {"clicks": 10.0, "impressions": 200.0, "conversions": 3.0, "spend": 10.0}
# An additive series is scored only when its typical day is at least this large.
MIN_TYPICAL = {"spend": 5.0, "impressions": 200.0, "conversions": 3.0, "clicks": 10.0}
LEVEL_KEYS = {
    "platform": ("platform",),
    "account": ("platform", "account_id"),
    "campaign": ("platform", "account_id", "campaign_name"),
    "ad_group": ("platform", "account_id", "campaign_name", "ad_group_name"),
}
CHILD = {"platform": "account", "account": "campaign", "campaign": "ad_group"}
EXTEND_DAYS = 14


@dataclass
class EntitySeries:
    """One entity's days and measures, and the scored metrics."""

    level: str
    key: tuple[str | None, ...]
    days: list[date]
    measures: dict[str, Floats]
    has_rows: np.ndarray
    scored: dict[str, Scored] = field(default_factory=dict)
    model_score: Floats | None = None

    @property
    def platform(self) -> str | None:
        return self.key[0]

    @property
    def account_id(self) -> str | None:
        return self.key[1] if len(self.key) > 1 else None

    @property
    def campaign_name(self) -> str | None:
        return self.key[2] if len(self.key) > 2 else None

    @property
    def label(self) -> str:
        return str(self.key[-1] if self.key[-1] is not None else "(no name)")

    def values(self, metric: str) -> Floats:
        """The metric per day; a ratio is NaN where its denominator is too small."""
        if metric in self.measures:
            return self.measures[metric]
        numerator, denominator, scale = RATIOS[metric]
        top, bottom = self.measures[numerator], self.measures[denominator]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = scale * top / bottom
        return np.where(bottom >= MIN_DENOMINATOR[denominator], ratio, np.nan)


def load_series(
    store: Store,
    workspace: str,
    level: str,
    since: date | None = None,
    campaign: tuple[str | None, ...] | None = None,
) -> Iterator[EntitySeries]:
    """Every entity's zero-filled daily series at ``level``, from ``since`` on (of one
    ``campaign`` only: its platform, account and name)."""
    keys = LEVEL_KEYS[level]
    ctes = daily_ctes(keys, EXTEND_DAYS, since=True, campaign=campaign is not None)
    sql = (
        f"WITH {ctes} SELECT {', '.join(keys)}, date, {', '.join(MEASURES)}, has_rows "
        f"FROM filled ORDER BY {', '.join(keys)}, date"
    )
    cur = store.con.execute(sql, [workspace, since or date(1, 1, 1), *(campaign or ())])
    current: tuple[str | None, ...] | None = None
    rows: list[tuple[object, ...]] = []
    width = len(keys)
    while batch := cur.fetchmany(10_000):
        for row in batch:
            key = tuple(row[:width])
            if key != current and rows:
                yield _series(level, current or (), rows, width)
                rows = []
            current = key
            rows.append(row)
    if rows:
        yield _series(level, current or (), rows, width)


def _series(
    level: str, key: tuple[str | None, ...], rows: list[tuple[object, ...]], width: int
) -> EntitySeries:
    columns = list(zip(*rows, strict=True))
    measures = {
        name: np.asarray(columns[width + 1 + i], dtype=np.float64)
        for i, name in enumerate(MEASURES)
    }
    return EntitySeries(
        level=level,
        key=key,
        days=list(columns[width]),
        measures=measures,
        has_rows=np.asarray(columns[-1], dtype=bool),
    )


def score_entity(series: EntitySeries, threshold: float = THRESHOLD) -> None:
    """Score every metric (and the clicks and value behind them) of one entity, in place."""
    seconds = np.array(
        [(day - date(1970, 1, 1)).days * 86400.0 for day in series.days], dtype=np.float64
    )
    for metric in (*METRICS, "clicks", "conversion_value"):
        values = series.values(metric)
        known = np.isfinite(values)
        if known.sum() < 14 or (metric in MIN_TYPICAL and _typical(values) < MIN_TYPICAL[metric]):
            continue
        result = score_series(seconds[known], values[known], threshold=threshold)
        series.scored[metric] = _spread(result, known)


def _typical(values: Floats) -> float:
    active = values[np.isfinite(values)]
    return float(np.median(active)) if len(active) else 0.0


def _spread(result: Scored, known: np.ndarray) -> Scored:
    """Scores of the known days laid back onto every day (NaN / 0 elsewhere)."""

    def full(part: Floats, fill: float) -> Floats:
        out = np.full(len(known), fill)
        out[known] = part
        return out

    return Scored(
        expected=full(result.expected, np.nan),
        low=full(result.low, np.nan),
        high=full(result.high, np.nan),
        z=full(result.z, 0.0),
        score=full(result.score, 0.0),
    )


def lookback_start(store: Store, workspace: str, days: int) -> date | None:
    """First day to read so the last ``days`` days have eight weeks of history behind them."""
    last = store.con.execute(
        "SELECT max(date) FROM ad_performance WHERE workspace = ? AND grain IN ('day', 'hour')",
        [workspace],
    ).fetchall()[0][0]
    return None if last is None else last - timedelta(days=days + 56)
