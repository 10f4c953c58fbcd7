"""Isolation Forest over the feature table: how unusual each entity-day is, all features at once.

The robust baseline looks at one metric at a time; the forest looks at an entity-day's whole
profile (volumes, ratios, z-scores, weekday index), so a day where several things move a little
together ranks high. Its rank (0..1, 1 = most isolated) lowers the z-score a day needs to be
flagged (``adlens.anomaly.incidents``); it never flags a day on its own.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from sklearn.ensemble import IsolationForest

from adlens.anomaly.facts import EntitySeries
from adlens.features import LEVELS, prepare
from adlens.store import Store

FEATURES = (
    "log_spend",
    "log_impressions",
    "log_clicks",
    "log_conversions",
    "ctr",
    "cpc",
    "cvr",
    "impressions_per_click",
    "spend_zscore_28",
    "impressions_zscore_28",
    "clicks_zscore_28",
    "conversions_zscore_28",
    "spend_weekday_index",
)
FIT_ROWS = 50_000  # a sample this large fits the forest as well as all rows would
SEED = 0


def attach_model_scores(
    store: Store,
    workspace: str,
    level: str,
    series: dict[tuple[str | None, ...], EntitySeries],
    since: date | None = None,
) -> None:
    """Set ``model_score`` (the forest's rank of each day, 0..1) on each series of ``level``."""
    keys = LEVELS[level]
    sql, params = prepare(store, workspace, level, None, None, since)
    columns = ", ".join(f"coalesce({name}, 0)::DOUBLE" for name in FEATURES)
    rows = store.con.execute(
        f"SELECT {', '.join(keys)}, date, {columns} FROM ({sql})", params
    ).fetchall()
    if len(rows) < 50:
        return
    width = len(keys)
    matrix = np.nan_to_num(np.array([row[width + 1 :] for row in rows], dtype=np.float64))
    sample = np.random.default_rng(SEED).permutation(len(matrix))[:FIT_ROWS]
    forest = IsolationForest(random_state=SEED).fit(matrix[sample])
    isolation = -forest.score_samples(matrix)
    rank = np.argsort(np.argsort(isolation)) / max(1, len(isolation) - 1)
    positions: dict[tuple[tuple[str | None, ...], date], float] = {
        (tuple(row[:width]), row[width]): float(r) for row, r in zip(rows, rank, strict=True)
    }
    for key, entity in series.items():
        entity.model_score = np.array(
            [positions.get((key, day), 0.0) for day in entity.days], dtype=np.float64
        )
