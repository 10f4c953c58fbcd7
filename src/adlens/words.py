"""How counts read in messages people see (CLI, quality reports, anomaly explanations)."""

from __future__ import annotations


def rows(count: int) -> str:
    """``1 row``, ``2 rows``, ``1,204 rows``.

    >>> rows(1), rows(1204)
    ('1 row', '1,204 rows')
    """
    return f"{count:,} row" + ("" if count == 1 else "s")
