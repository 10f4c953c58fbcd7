"""Daily series of the stored facts per entity, and the per-day expectations of each metric.

Entities are platforms, accounts (only where a platform has more than one) and campaigns, each
with the entity one level below it for the drill-down (account or campaign, and ad group below
a campaign). Series are zero-filled inside an entity's active span (``adlens.features``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

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
    days: list[date]  # hourly series: the start of each hour (UTC datetimes)
    measures: dict[str, Floats]
    has_rows: np.ndarray
    scored: dict[str, Scored] = field(default_factory=dict)
    model_score: Floats | None = None

    @property
    def hourly(self) -> bool:
        return bool(self.days) and isinstance(self.days[0], datetime)

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
    yield from _grouped(cur, level, len(keys))


def _grouped(cur: Any, level: str, width: int) -> Iterator[EntitySeries]:
    """Rows ordered by entity then time, one ``EntitySeries`` per entity."""
    current: tuple[str | None, ...] | None = None
    rows: list[tuple[object, ...]] = []
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


def has_hours(store: Store, workspace: str, since: date) -> bool:
    """Whether the workspace has hour rows from ``since`` on (worth an hourly scan)."""
    rows = store.con.execute(
        "SELECT count(*) FROM ad_performance WHERE workspace = ? AND grain = 'hour' "
        "AND ts >= ? LIMIT 1",
        [workspace, since],
    ).fetchall()
    return bool(rows[0][0])


def load_hourly_series(
    store: Store, workspace: str, level: str, since: date
) -> Iterator[EntitySeries]:
    """Every entity's zero-filled hourly series (hour rows only), from ``since`` on.

    An hour without rows between an entity's first and last hour is a zero-activity hour.
    """
    keys = LEVEL_KEYS[level]
    key_list = ", ".join(keys)
    sums = ", ".join(f"sum({m})::DOUBLE AS {m}" for m in MEASURES)
    filled = ", ".join(f"coalesce(h.{m}, 0) AS {m}" for m in MEASURES)
    joined = " AND ".join(f"g.{k} IS NOT DISTINCT FROM h.{k}" for k in keys)
    sql = f"""
        WITH facts AS (
            SELECT * EXCLUDE (account_id), coalesce(account_id, account_name) AS account_id,
                   date_trunc('hour', ts) AS hour
            FROM ad_performance WHERE workspace = ? AND grain = 'hour' AND ts >= ?
        ),
        hourly AS (SELECT {key_list}, hour, {sums} FROM facts GROUP BY ALL),
        spans AS (SELECT {key_list}, min(hour) AS first, max(hour) AS last FROM hourly
                  GROUP BY ALL),
        grid AS (SELECT {key_list}, unnest(generate_series(first, last, INTERVAL 1 HOUR))
                 AS hour FROM spans)
        SELECT {", ".join(f"g.{k}" for k in keys)}, g.hour, {filled}, h.hour IS NOT NULL
        FROM grid g LEFT JOIN hourly h ON {joined} AND g.hour = h.hour
        ORDER BY {", ".join(f"g.{k}" for k in keys)}, g.hour
    """
    yield from _grouped(store.con.execute(sql, [workspace, since]), level, len(keys))


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
    seconds = np.array([_epoch(day) for day in series.days], dtype=np.float64)
    minimum = 48 if series.hourly else 14
    for metric in (*METRICS, "clicks", "conversion_value"):
        values = series.values(metric)
        known = np.isfinite(values)
        if known.sum() < minimum or (
            metric in MIN_TYPICAL and _typical(values) < MIN_TYPICAL[metric]
        ):
            continue
        result = score_series(seconds[known], values[known], threshold=threshold)
        series.scored[metric] = _spread(result, known)


def _epoch(moment: date) -> float:
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC).timestamp()
    return (moment - date(1970, 1, 1)).days * 86400.0


def day_of(moment: date) -> date:
    """The calendar day of a day or of an hour."""
    return moment.date() if isinstance(moment, datetime) else moment


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
