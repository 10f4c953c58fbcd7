"""Numbers as the 15 significant digits a double holds: what results show, never the noise
of summing doubles (``30540060.020000026`` reads ``30540060.02``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def significant(values: Sequence[Any]) -> list[float | None]:
    """Numbers as the 15 significant digits a double holds (None: NULL, NaN, infinite).

    A sum of many doubles carries rounding noise beyond those digits: spend summed over a
    month reads 30540060.020000026 where the rows add up to 30540060.02. Each value is
    scaled to a 15-digit integer, rounded and scaled back (powers of ten up to 1e22 are
    exact doubles, so this is the decimal rounding; values outside 1e-8..1e15 stay as
    they are). Vectorised: a per-value ``float(f"{v:.15g}")`` took ~1.2 µs a value.

    >>> significant([0.1 + 0.2, 30540060.020000026, 1 / 3, -2 / 3, 0.0, None, float("inf")])
    [0.3, 30540060.02, 0.333333333333333, -0.666666666666667, 0.0, None, None]
    """
    numbers = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    finite = np.isfinite(numbers)
    nonzero = finite & (numbers != 0)
    magnitude = np.zeros_like(numbers)
    np.floor(np.log10(np.abs(numbers, where=nonzero, out=np.ones_like(numbers))), out=magnitude)
    exponent = 14 - magnitude
    scaled = nonzero & (exponent >= 0) & (exponent <= 22)
    scale = np.power(10.0, exponent[scaled])
    numbers[scaled] = np.rint(numbers[scaled] * scale) / scale
    return [v if ok else None for v, ok in zip(numbers.tolist(), finite.tolist(), strict=True)]


def significant_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with every float value passed through ``significant`` (in one call), in place.

    >>> significant_rows([{"actual": 100.05000000000001, "n": 3, "name": "a"}])
    [{'actual': 100.05, 'n': 3, 'name': 'a'}]
    """
    found = [(row, key) for row in rows for key, value in row.items() if type(value) is float]
    for (row, key), value in zip(found, significant([r[k] for r, k in found]), strict=True):
        row[key] = value
    return rows
