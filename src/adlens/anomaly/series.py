"""Anomaly scores for any KPI time series: rows in, every row back with a score.

``adlens detect --csv FILE --timestamp-column C --value-column V`` reads the file with DuckDB,
scores each row with the seasonal robust baseline (``adlens.anomaly.baseline``) and writes every
input row, in input order, with ``anomaly_score`` (0..1), ``is_anomaly`` and the expected band.

- Batch mode: rows sharing a timestamp are one observation (their mean); season and noise
  level come from the whole series.
- Online mode (``--online``): rows are read in time order (ties in file order) and each is scored
  from itself and the rows before it only, so appending rows never changes earlier scores.
- Gaps are left as gaps: nothing is invented for missing hours or days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from adlens.anomaly.baseline import THRESHOLD, Floats, score_series
from adlens.core.spreadsheet import safe_cell_sql
from adlens.errors import MappingError, UnreadableFileError
from adlens.store.db import connect


@dataclass(frozen=True)
class RowScores:
    """Scores per input row, in the order the rows were given."""

    score: Floats
    is_anomaly: npt.NDArray[np.bool_]
    expected: Floats
    low: Floats
    high: Floats


def score_rows(
    seconds: Floats, values: Floats, *, online: bool = False, threshold: float = THRESHOLD
) -> RowScores:
    """Score rows given in any order (``seconds``: UTC epoch seconds); NaN values score 0.

    >>> import numpy as np
    >>> t = np.arange(30) * 86400.0
    >>> v = np.full(30, 50.0); v[20] = 0.0  # tracking stopped for a day
    >>> [int(i) for i in np.flatnonzero(score_rows(t, v).is_anomaly)]
    [20]
    """
    n = len(values)
    known = np.flatnonzero(np.isfinite(values) & np.isfinite(seconds))
    order = known[np.argsort(seconds[known], kind="stable")]
    score, expected = np.zeros(n), np.full(n, np.nan)
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    if online:
        result = score_series(seconds[order], values[order], online=True, threshold=threshold)
        targets = order
        picks = np.arange(len(order))
    else:
        stamps, position = np.unique(seconds[order], return_inverse=True)
        means = np.bincount(position, weights=values[order]) / np.bincount(position)
        result = score_series(stamps, means, threshold=threshold)
        targets, picks = order, position
    score[targets] = result.score[picks]
    expected[targets] = result.expected[picks]
    low[targets] = result.low[picks]
    high[targets] = result.high[picks]
    return RowScores(score, score >= 0.5, expected, low, high)


def detect_csv(
    path: Path,
    timestamp_column: str,
    value_column: str,
    out: Path,
    *,
    online: bool = False,
    threshold: float = THRESHOLD,
) -> dict[str, int]:
    """Score every row of ``path`` and write them all to ``out`` with the score columns.

    Returns counts: rows read, rows scored, rows flagged.
    """
    if not path.exists():
        raise UnreadableFileError(f"{path}: no such file", hint="check the path of --csv")
    con = connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        con.execute(
            "CREATE TEMP TABLE series AS SELECT *, row_number() OVER () AS _row "
            "FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    except Exception as exc:
        raise UnreadableFileError(
            f"{path}: could not be read as CSV: {str(exc).splitlines()[0]}",
            where={"file": str(path)},
        ) from exc
    columns = [row[0] for row in con.execute("DESCRIBE series").fetchall()]
    for option, column in (
        ("--timestamp-column", timestamp_column),
        ("--value-column", value_column),
    ):
        if column not in columns:
            shown = ", ".join(c for c in columns if c != "_row")
            raise MappingError(
                f"{path}: has no column {column!r} (given as {option})",
                hint=f"use one of: {shown}",
                where={"file": str(path), "column": column},
            )
    quoted_ts, quoted_value = _quote(timestamp_column), _quote(value_column)
    rows = con.execute(
        # ISO timestamps (an offset or Z is honoured, none means UTC) or GA4's YYYYMMDD.
        f"SELECT epoch(coalesce(try_cast({quoted_ts} AS TIMESTAMPTZ), "
        f"try_strptime({quoted_ts}, '%Y%m%d')::TIMESTAMPTZ)), "
        f"try_cast(replace({quoted_value}, ',', '') AS DOUBLE), {quoted_ts} "
        "FROM series ORDER BY _row"
    ).fetchall()
    bad = next((i for i, row in enumerate(rows) if row[0] is None and row[2] is not None), None)
    if bad is not None:
        raise MappingError(
            f"{path}: line {bad + 2}: {rows[bad][2]!r} in {timestamp_column!r} is not a timestamp",
            hint="use ISO timestamps such as 2025-03-01, 2025-03-01 13:00:00 or "
            "2025-03-01T13:00:00+02:00 (no offset: UTC)",
            where={"file": str(path), "line": bad + 2},
        )
    seconds = np.array([np.nan if r[0] is None else float(r[0]) for r in rows])
    values = np.array([np.nan if r[1] is None else float(r[1]) for r in rows])
    scores = score_rows(seconds, values, online=online, threshold=threshold)
    con.register(
        "_scores",
        _arrow(scores),
    )
    # The file's own columns go back out as read, text made inert for spreadsheets.
    kept = [
        f"{safe_cell_sql('series.' + _quote(name))} AS {_quote(name)}"
        if kind == "VARCHAR"
        else f"series.{_quote(name)}"
        for name, kind, *_ in con.execute("DESCRIBE series").fetchall()
        if name != "_row"
    ]
    con.execute(
        f"COPY (SELECT {', '.join(kept)}, round(s.anomaly_score, 6) AS anomaly_score, "
        "s.is_anomaly, s.expected, s.expected_low, s.expected_high FROM series "
        "JOIN _scores s ON s._row = series._row ORDER BY series._row) TO ? (HEADER, DELIMITER ',')",
        [str(out)],
    )
    con.close()
    return {
        "rows": len(rows),
        "scored": int(np.isfinite(values).sum()),
        "anomalies": int(scores.is_anomaly.sum()),
    }


def _arrow(scores: RowScores) -> object:
    import pyarrow as pa

    n = len(scores.score)
    return pa.table(
        {
            "_row": pa.array(np.arange(1, n + 1)),
            "anomaly_score": pa.array(scores.score),
            "is_anomaly": pa.array(scores.is_anomaly.astype(bool)),
            "expected": pa.array(scores.expected, from_pandas=True),
            "expected_low": pa.array(scores.low, from_pandas=True),
            "expected_high": pa.array(scores.high, from_pandas=True),
        }
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
