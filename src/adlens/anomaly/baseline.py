"""A seasonal robust baseline for one KPI series: expected value, robust z-score, score in [0, 1].

The series is read on a signed log scale (``sign(x) * log1p(|x|)``), so weekly and daily patterns
and noise act as ratios, as they do in spend, clicks or conversions. Then:

1. a rough level: the median of the last week of observations (trailing, never centred);
2. the season: the median gap to that level per hour of day (when the series is hourly) and then
   per day of week, each from at least two cycles of history;
3. the level the season is measured against: the median of the last ``level_window``
   deseasonalised observations before the point (the point itself excluded);
4. the residual, and its robust scale: 1.4826 x the median absolute residual;
5. ``z = residual / scale`` and ``score = z^2 / (z^2 + threshold^2)``, so ``|z| = threshold``
   scores 0.5, the line ``is_anomaly`` is drawn at.

Batch mode estimates the season and the scale from the whole series. Online mode estimates them
only from earlier observations (refreshed once per cycle), so a point's score never changes when
later points arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

THRESHOLD = 4.5  # robust z-score scoring 0.5
MAD_TO_SD = 1.4826
MIN_HISTORY = 7  # observations a point needs before it to be scored
FIRST_STEPS = 8  # observations the online mode reads the series' spacing from
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Scored:
    """Per observation: the expected value and its band (original scale), z-score and score."""

    expected: Floats
    low: Floats
    high: Floats
    z: Floats
    score: Floats


def score_series(
    seconds: Floats,
    values: Floats,
    *,
    online: bool = False,
    threshold: float = THRESHOLD,
) -> Scored:
    """Score each observation of a series sorted by time (``seconds`` since the epoch, UTC).

    Observations without a baseline yet (the first ``MIN_HISTORY``, and in online mode the first
    two days or ``FIRST_STEPS``) score 0.

    >>> import numpy as np
    >>> days = np.arange(60) * 86400.0
    >>> clicks = 100 + 10 * (np.arange(60) % 7 == 5)  # busier Saturdays
    >>> clicks = clicks.astype(float); clicks[40] = 400.0
    >>> result = score_series(days, clicks)
    >>> [int(i) for i in np.flatnonzero(result.score >= 0.5)]
    [40]
    """
    n = len(values)
    y = np.sign(values) * np.log1p(np.abs(values))
    # Online, the spacing is read from the first observations only: no look-ahead.
    step = _step(seconds[: FIRST_STEPS if online else n])
    hour = ((seconds // HOUR) % 24).astype(int)
    weekday = ((seconds // DAY + 3) % 7).astype(int)  # 1970-01-01 was a Thursday: Monday = 0
    per_day = max(1, round(DAY / step))
    week = 7 * per_day
    level_window = max(7, min(14 * per_day, 2 * per_day if per_day > 1 else 14))
    if online:
        season, scale = _online_season_and_scale(y, hour, weekday, per_day, week, level_window)
    else:
        season = _season(y, hour, weekday, per_day, week)
        scale = np.full(n, _scale(_residuals(y - season, level_window)))
    residual = _residuals(y - season, level_window)
    expected_log = y - residual
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.isfinite(residual) & (scale > 0), residual / scale, 0.0)
    z = np.nan_to_num(z)
    z[: min(n, MIN_HISTORY)] = 0.0  # too little history to judge the first points
    score = z**2 / (z**2 + threshold**2)
    band = threshold * np.nan_to_num(scale)
    return Scored(
        expected=_unlog(expected_log),
        low=_unlog(expected_log - band),
        high=_unlog(expected_log + band),
        z=z,
        score=score,
    )


def _unlog(y: Floats) -> Floats:
    return np.asarray(np.sign(y) * np.expm1(np.abs(y)), dtype=np.float64)


def _step(seconds: Floats) -> float:
    gaps = np.diff(np.unique(seconds))
    return float(np.median(gaps)) if len(gaps) else DAY


def _rolling_median(y: Floats, window: int) -> Floats:
    """Median of the ``window`` observations before each point (NaN before the first)."""
    n = len(y)
    out = np.full(n, np.nan)
    head = min(n, window + 1)  # the first points have fewer than ``window`` before them
    if head > 1:
        counts = np.arange(1, head)
        positions = np.arange(head - 1)
        grid = np.where(positions < counts[:, None], y[positions], np.inf)
        ordered = np.sort(grid, axis=1)  # each row: y[:count] sorted, then padding
        rows = np.arange(head - 1)
        out[1:head] = (ordered[rows, (counts - 1) // 2] + ordered[rows, counts // 2]) / 2
    if n > window:
        windows = np.lib.stride_tricks.sliding_window_view(y[:-1], window)
        out[window:] = np.median(windows, axis=1)
    return out


def _residuals(deseasonalised: Floats, window: int) -> Floats:
    level = _rolling_median(deseasonalised, window)
    return deseasonalised - level


def _season(
    y: Floats, hour: npt.NDArray[np.int_], weekday: npt.NDArray[np.int_], per_day: int, week: int
) -> Floats:
    """The hour-of-day plus day-of-week profile fitted to ``y``, at each point of ``y``."""
    hours, days = _season_profile(y, hour, weekday, per_day, week)
    return hours[hour] + days[weekday]


def _profile(gap: Floats, slot: npt.NDArray[np.int_], slots: int) -> Floats:
    profile = np.zeros(slots)
    for s in range(slots):
        here = gap[slot == s]
        if len(here) >= 3 or (len(here) and slots == 24):
            profile[s] = np.median(here)
        elif len(here):  # two weeks: a median is a mean, one odd week would set it; be mild
            profile[s] = here[np.argmin(np.abs(here))]
    return profile - np.median(profile)


def _scale(residual: Floats) -> float:
    finite = residual[np.isfinite(residual)]
    if len(finite) < 3:
        return float("nan")
    mad = float(np.median(np.abs(finite - np.median(finite))))
    # A floor keeps a nearly constant series from turning rounding into alerts.
    return max(MAD_TO_SD * mad, 0.02, 0.01 * float(np.median(np.abs(finite))))


def _online_season_and_scale(
    y: Floats,
    hour: npt.NDArray[np.int_],
    weekday: npt.NDArray[np.int_],
    per_day: int,
    week: int,
    level_window: int,
) -> tuple[Floats, Floats]:
    """Season and scale for each point from earlier points only, refreshed once a day."""
    n = len(y)
    season = np.zeros(n)
    scale = np.full(n, np.nan)
    refresh = per_day if per_day > 1 else 7
    minimum = max(2 * per_day, FIRST_STEPS)
    for start in range(0, n, refresh):
        stop = min(n, start + refresh)
        past = slice(0, start)
        if start < minimum:
            continue
        profile_days = _season_profile(y[past], hour[past], weekday[past], per_day, week)
        season[start:stop] = (
            profile_days[0][hour[start:stop]] + profile_days[1][weekday[start:stop]]
        )
        past_season = profile_days[0][hour[past]] + profile_days[1][weekday[past]]
        scale[start:stop] = _scale(_residuals(y[past] - past_season, level_window)[-8 * week :])
    return season, scale


def _season_profile(
    y: Floats, hour: npt.NDArray[np.int_], weekday: npt.NDArray[np.int_], per_day: int, week: int
) -> tuple[Floats, Floats]:
    """The hour-of-day and day-of-week profiles ``_season`` would fit to ``y``."""
    hours, days = np.zeros(24), np.zeros(7)
    gap = y - _rolling_median(y, week)
    known = np.isfinite(gap)
    if per_day > 1 and known.sum() >= 2 * per_day:
        hours = _profile(gap[known], hour[known], 24)
        gap = gap - hours[hour]
    if known.sum() / per_day >= 14:
        days = _profile(gap[known], weekday[known], 7)
    return hours, days
