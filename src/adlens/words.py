"""How counts read in messages people see (CLI, quality reports, anomaly explanations)."""

from __future__ import annotations


def rows(count: int) -> str:
    """``1 row``, ``2 rows``, ``1,204 rows``.

    >>> rows(1), rows(1204)
    ('1 row', '1,204 rows')
    """
    return f"{count:,} row" + ("" if count == 1 else "s")


def have(count: int) -> str:
    """``has`` for one, ``have`` for any other count: ``f"{rows(n)} {have(n)} no date"``.

    >>> f"{rows(1)} {have(1)} no date", f"{rows(2)} {have(2)} no date"
    ('1 row has no date', '2 rows have no date')
    """
    return "has" if count == 1 else "have"
