"""Reading: the raw relation (columns ``c0..cN``) the cleaning query runs over."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from adlens.ingest.detect import Rows
from adlens.ingest.plan import Plan
from adlens.ingest.source import TextFile
from adlens.ingest.values import literal

CSV_ERRORS = "_adlens_csv_errors"
CSV_SCANS = "_adlens_csv_scans"
ROWS_VIEW = "_adlens_rows"


def csv_relation(plan: Plan, source: TextFile, *, parallel: bool = True) -> str:
    """A ``read_csv`` call reading every data line as VARCHAR cells, errors kept aside."""
    layout = plan.layout
    assert layout is not None
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(layout.column_count))
    return (
        f"read_csv({literal(str(source.utf8_path))}, delim={literal(layout.delimiter)}, "
        "quote='\"', escape='\"', header=false, "
        f"skip={layout.header_line}, columns={{{columns}}}, null_padding=true, "
        "auto_detect=false, strict_mode=true, store_rejects=true, "
        f"rejects_table='{CSV_ERRORS}', rejects_scan='{CSV_SCANS}', "
        f"max_line_size=4194304, parallel={'true' if parallel else 'false'})"
    )


def register_rows(con: duckdb.DuckDBPyConnection, rows: Rows, name: str = ROWS_VIEW) -> str:
    """Expose rows read in Python as a relation with the same shape as ``csv_relation``."""
    width = rows.width
    columns: dict[str, list[object]] = {f"c{i}": [] for i in range(width)}
    lines: list[int] = []
    for line, cells in rows.rows:
        lines.append(line)
        for i in range(width):
            columns[f"c{i}"].append(cells[i] if i < len(cells) else None)
    table = pa.table({**{k: pa.array(v, pa.string()) for k, v in columns.items()}, "_line": lines})
    con.register(name, table)
    return name


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
