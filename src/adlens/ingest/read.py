"""Reading: the raw relation (columns ``c0..cN``) the cleaning query runs over."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from adlens.ingest.detect import Rows
from adlens.ingest.plan import Plan
from adlens.ingest.source import TextFile
from adlens.ingest.values import literal

CSV_ERRORS = "_adlens_csv_errors"
CSV_SCANS = "_adlens_csv_scans"


def csv_relation(plan: Plan, source: TextFile, *, parallel: bool = True) -> str:
    """A ``read_csv`` call reading every data line as VARCHAR cells, errors kept aside."""
    layout = plan.layout
    assert layout is not None
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(layout.column_count))
    return (
        f"read_csv({literal(str(source.utf8_path))}, delim={literal(layout.delimiter)}, "
        "quote='\"', escape='\"', header=false, "
        f"skip={layout.first_data_line - 1}, columns={{{columns}}}, null_padding=true, "
        "auto_detect=false, strict_mode=true, store_rejects=true, "
        f"rejects_table='{CSV_ERRORS}', rejects_scan='{CSV_SCANS}', "
        f"max_line_size=4194304, parallel={'true' if parallel else 'false'})"
    )


def rows_relation(rows: Rows, workdir: Path) -> str:
    """Rows read in Python (workbooks, stacked tables), as a relation like ``csv_relation``.

    They are written to a plain CSV file with their line number first, so DuckDB
    reads them through the same streaming reader as any export.
    """
    path = workdir / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for line, cells in rows.rows:
            writer.writerow([line, *cells[: rows.width], *[""] * (rows.width - len(cells))])
    columns = ", ".join(["'_line': 'BIGINT'", *(f"'c{i}': 'VARCHAR'" for i in range(rows.width))])
    return (
        f"read_csv({literal(str(path))}, delim=',', quote='\"', escape='\"', header=false, "
        f"columns={{{columns}}}, auto_detect=false, strict_mode=true, null_padding=true)"
    )


def values_relation(cells: list[str], width: int) -> str:
    """One row of cells as an inline relation (a file's totals row, checked apart)."""
    padded = [*cells[:width], *[""] * (width - len(cells))]
    row = ", ".join(["0", *(literal(c) if c.strip() else "NULL" for c in padded)])
    names = ", ".join(["_line", *(f"c{i}" for i in range(width))])
    return f"(VALUES ({row})) AS totals({names})"


def csv_errors(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str]]:
    """(line, raw text, message) of lines DuckDB's reader could not split into cells."""
    try:
        found = con.execute(
            f"SELECT line, csv_line, error_type, error_message FROM {CSV_ERRORS} ORDER BY line"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    seen: set[int] = set()
    errors: list[tuple[int, str, str]] = []
    for line, raw, kind, message in found:
        if line in seen:
            continue
        seen.add(line)
        reason = {
            "TOO MANY COLUMNS": f"line has more cells than the header ({message})",
            "UNQUOTED VALUE": "a quote is opened and never closed",
            "INVALID ENCODING": "line is not valid text in the file's encoding",
        }.get(kind, message)
        errors.append((int(line), str(raw).rstrip("\r\n"), reason))
    return errors


def drop_csv_errors(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {CSV_ERRORS}")
    con.execute(f"DROP TABLE IF EXISTS {CSV_SCANS}")
