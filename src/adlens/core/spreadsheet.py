"""Text a spreadsheet would run as a formula, made inert wherever adlens writes CSV.

Exports carry what people typed into ad platforms, and a campaign named
``=HYPERLINK("http://…")`` becomes a live formula when a CSV written back out is opened
in a spreadsheet. Every CSV adlens writes (query results, rejected rows, the campaign map,
scored series) passes its text through ``safe_cell``: a leading ``=``, ``+``, ``-``,
``@``, TAB or CR gets a ``'`` in front, unless the text is a number (``-12.5``).
``restore_cell`` undoes it when such a file comes back (the campaign map is edited and
imported again).
"""

from __future__ import annotations

import csv
import io
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a ``'`` in front when it is text a spreadsheet would run.

    >>> safe_cell("=HYPERLINK(1)"), safe_cell("-12.5"), safe_cell("Summer"), safe_cell(-3)
    ("'=HYPERLINK(1)", '-12.5', 'Summer', -3)
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text ``safe_cell`` was given.

    >>> restore_cell("'=SUM(A1)"), restore_cell("'quoted"), restore_cell("plain")
    ('=SUM(A1)', "'quoted", 'plain')
    """
    if value.startswith("'") and value[1:2] and value[1] in "".join(FORMULA_START):
        return value[1:]
    return value


def safe_line(line: Any) -> Any:
    """A CSV line (a rejected row's text) with every formula cell escaped.

    >>> print(safe_line('"=HYPERLINK(""x"")",=1+1,5'))
    "'=HYPERLINK(""x"")",'=1+1,5
    """
    if not isinstance(line, str):
        return line
    cells = next(csv.reader([line]), [])
    if all(safe_cell(c) == c for c in cells):
        return line
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([safe_cell(c) for c in cells])
    return buffer.getvalue()


def safe_cell_sql(column: str) -> str:
    """SQL doing what ``safe_cell`` does, for a text column written by DuckDB's ``COPY``.

    >>> import duckdb
    >>> duckdb.sql("SELECT " + safe_cell_sql("x") + " FROM (VALUES ('=1+1'), ('-2'), "
    ...     "('ok')) t(x)").fetchall()
    [("'=1+1",), ('-2',), ('ok',)]
    """
    return (
        f"CASE WHEN regexp_matches({column}, '^[=+\\-@\\t\\r]') "
        f"AND try_cast({column} AS DOUBLE) IS NULL THEN '''' || {column} ELSE {column} END"
    )
