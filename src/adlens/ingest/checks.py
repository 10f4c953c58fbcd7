"""Checks run inside the load transaction: duplicates, currency, and the file's own totals."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb

from adlens.ingest.clean import MEASURES, Lineage, clean_query
from adlens.ingest.layout import is_footer_row
from adlens.ingest.plan import Plan
from adlens.ingest.read import values_relation
from adlens.schema import FACT_COLUMNS, SESSION_COLUMNS
from adlens.store.db import fetch_one

LINEAGE = frozenset({"ingest_id", "source_file", "source_row"})
MAX_RAW_LINES = 10_000
NON_ADDITIVE = frozenset({"users"})  # distinct counts: a total is not the sum of its rows
_TOTAL_PREFERENCE = ("total: account", "grand total", "total: campaigns", "total", "totals")
_NOTICE = re.compile(r"©|copyright|rights reserved|rechte", re.I)


def business_columns(target: str) -> list[str]:
    """Every stored column except lineage: equal on all of them means the same row."""
    columns = FACT_COLUMNS if target == "ad_performance" else SESSION_COLUMNS
    return [c for c in columns if c not in LINEAGE]


def drop_exact_duplicates(
    con: duckdb.DuckDBPyConnection,
    target: str,
    ingest_id: int,
    workspace: str,
    duplicates: list[tuple[int, int]],
    read_lines: Callable[[list[int]], dict[int, str]],
) -> int:
    """Move rows repeated within one file to ``rejects`` (the first one stays loaded).

    ``duplicates`` are (line, line it repeats) pairs, found by the pipeline in the staged
    file (where the cells no field reads are still known); ``read_lines`` fetches the
    repeated lines' text from the file for the rejects.
    """
    text = read_lines([line for line, _ in duplicates[:MAX_RAW_LINES]])
    source_file = fetch_one(
        con, f"SELECT any_value(source_file) FROM {target} WHERE ingest_id = ?", [ingest_id]
    )[0]
    con.executemany(
        "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?)",
        [
            [
                ingest_id,
                workspace,
                source_file,
                line,
                text.get(line),
                f"exact duplicate of line {first} (loaded once)",
            ]
            for line, first in duplicates
        ],
    )
    con.execute(
        f"DELETE FROM {target} WHERE ingest_id = ? AND source_row IN "
        "(SELECT source_row FROM rejects WHERE ingest_id = ? AND reason LIKE 'exact duplicate%')",
        [ingest_id, ingest_id],
    )
    return len(duplicates)


def first_rejects(
    con: duckdb.DuckDBPyConnection, ingest_id: int, limit: int
) -> list[dict[str, Any]]:
    cur = con.execute(
        "SELECT source_row, reason, raw FROM rejects WHERE ingest_id = ? "
        "ORDER BY source_row NULLS LAST LIMIT ?",
        [ingest_id, limit],
    )
    return [{"source_row": r[0], "reason": r[1], "raw": r[2]} for r in cur.fetchall()]


SUMMARY_LABEL = "summary"  # the totals row under the header, named as Meta names it


def check_totals(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    ingest_id: int,
    profile: dict[str, Any],
) -> list[dict[str, Any]]:
    """Compare the export's own Total/Grand total (or summary) row with what was loaded.

    A difference is ``explained`` when the rejected rows' values make it up.
    """
    footer = _footer_rows(plan) or _summary_row(plan)
    if not footer:
        return []
    label, cells = footer
    quiet = Plan(**{**plan.__dict__, "layout": None, "headers": plan.headers})
    width = max(len(plan.headers), len(cells))
    relation = values_relation(cells, width)
    lineage = Lineage(0, "", "", "")
    measures = [m for m in MEASURES[plan.target] if plan.column(m) and m not in NON_ADDITIVE]
    if not measures:
        return []
    stored = "spend_original" if plan.target == "ad_performance" else None
    names = {m: (stored if m == "spend" and stored else m) for m in measures}
    totals = fetch_one(
        con,
        f"SELECT {', '.join(names[m] for m in measures)} "
        f"FROM ({clean_query(quiet, relation, lineage, line_expr='_line')})",
    )
    loaded = fetch_one(
        con,
        f"SELECT count(*), {', '.join(f'sum({names[m]})' for m in measures)} "
        f"FROM {plan.target} WHERE ingest_id = ?",
        [ingest_id],
    )
    assert totals is not None and loaded is not None
    n_rows = int(loaded[0])
    results = []
    for measure, expected, actual in zip(measures, totals, loaded[1:], strict=True):
        if expected is None:
            continue
        actual = float(actual or 0.0)
        tolerance = (
            0.5
            if measure in ("impressions", "clicks", "sessions", "users")
            else (0.01 + 0.005 * n_rows)
        )
        rejected = float(profile.get(f"_rejected_{measure}") or 0.0)
        ok = abs(actual - float(expected)) <= tolerance
        results.append(
            {
                "row": label,
                "measure": measure,
                "file_total": float(expected),
                "loaded": round(actual, 6),
                "difference": round(actual - float(expected), 6),
                "ok": ok,
                "explained_by_rejects": not ok
                and abs(actual + rejected - float(expected)) <= tolerance,
            }
        )
    return results


def _summary_row(plan: Plan) -> tuple[str, list[str]] | None:
    if plan.layout is None or plan.layout.summary_line is None:
        return None
    return SUMMARY_LABEL, plan.layout.summary_row


def _footer_rows(plan: Plan) -> tuple[str, list[str]] | None:
    candidates = list(plan.layout.footer_rows) if plan.layout else []
    labelled = []
    for row in candidates:
        if not is_footer_row(row):
            continue
        label = next((c.strip() for c in row[:3] if c.strip()), "")
        labelled.append((label, row))
    for wanted in _TOTAL_PREFERENCE:
        for label, row in labelled:
            if label.lower() == wanted:
                return label, row
    # Localised or unusual labels ("Gesamt: Konto"): the last footer row that is not a notice.
    totals = [(label, row) for label, row in labelled if not _NOTICE.search(label)]
    return totals[-1] if totals else None
