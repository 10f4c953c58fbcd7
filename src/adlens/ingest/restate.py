"""Restatement: a newer export of days already loaded replaces them.

Ad platforms restate the last weeks (late conversions, invalid-click refunds),
so the newest export of a platform/account/day is the truth. Range rows are
replaced by a newer export of the same platform, account and period. When an
export has no account column, the unit replaced is the campaign-day instead
(for web analytics: the source / medium / campaign day).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from adlens.ingest.checks import business_columns
from adlens.ingest.values import literal
from adlens.store.db import fetch_one

_WHEN = (
    "CASE WHEN grain = 'range' THEN 'range:' || coalesce(CAST(period_start AS VARCHAR), '?') "
    "|| '..' || coalesce(CAST(period_end AS VARCHAR), '?') ELSE CAST(date AS VARCHAR) END"
)
# With an account column, a restatement replaces the whole account-day. Without one
# (many UI downloads), two files may be two different accounts, so only the same
# campaign's days are replaced.
_SCOPE = (
    "CASE WHEN coalesce(account_id, account_name) IS NOT NULL "
    "THEN 'account:' || coalesce(account_id, account_name) "
    "ELSE 'campaign:' || coalesce(campaign_id, campaign_name, '') END"
)
RESTATEMENT_KEY = {
    "ad_performance": f"{_SCOPE} || '|' || {_WHEN}",
    "sessions": f"concat_ws('|', source, medium, campaign) || '|' || {_WHEN}",
}


def replace_restated(
    con: duckdb.DuckDBPyConnection, target: str, ingest_id: int, workspace: str, platform: str
) -> tuple[int, int, int]:
    """Delete older rows for the (platform, account, day) keys this ingest covers.

    Returns (rows replaced, rows new or changed among the restated days, days restated).
    """
    scope = "workspace = ? AND platform = ? AND ingest_id <> ?"
    params = [workspace, platform, ingest_id]
    older = fetch_one(
        con, f"SELECT count(*) FROM (SELECT 1 FROM {target} WHERE {scope} LIMIT 1)", params
    )
    if not older or not older[0]:
        return 0, 0, 0
    key = RESTATEMENT_KEY[target]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _adlens_keys AS SELECT DISTINCT {key} AS key "
        f"FROM {target} WHERE ingest_id = ?",
        [ingest_id],
    )
    old = f"SELECT * FROM {target} WHERE {scope} AND {key} IN (SELECT key FROM _adlens_keys)"
    try:
        counted = fetch_one(con, f"SELECT count(*), count(DISTINCT {key}) FROM ({old})", params)
        replaced, days = (int(counted[0]), int(counted[1])) if counted else (0, 0)
        if not replaced:
            return 0, 0, 0
        columns = ", ".join(c for c in business_columns(target) if c != "workspace")
        new = (
            f"SELECT * FROM {target} WHERE ingest_id = ? AND {key} IN "
            f"(SELECT DISTINCT {key} FROM ({old}))"
        )
        changed = fetch_one(
            con,
            f"SELECT count(*) FROM (SELECT {columns} FROM ({new}) "
            f"EXCEPT ALL SELECT {columns} FROM ({old}))",
            [ingest_id, *params, *params],
        )
        con.execute(
            f"DELETE FROM {target} WHERE {scope} AND {key} IN (SELECT key FROM _adlens_keys)",
            params,
        )
        return replaced, int(changed[0]) if changed else 0, days
    finally:
        con.execute("DROP TABLE IF EXISTS _adlens_keys")


# --- rows of other granularities -----------------------------------------------------------

# The unit a row belongs to for overlaps (as for restatement), and its first and last day.
_UNIT = {"ad_performance": _SCOPE, "sessions": "concat_ws('|', source, medium, campaign)"}
_FIRST = "coalesce(date, period_start)"
_LAST = "coalesce(date, period_end)"


@dataclass
class Overlaps:
    """What a load found against stored rows of another granularity (day vs week vs month).

    ``superseded``: older coarser rows whose every day this load covers with finer rows,
    deleted (the newest export wins, and it has the detail). ``covered``: this load's
    coarser rows whose every day older finer rows already hold, as (line, reason): they go
    to rejects, since counting both would double the totals. Rows that overlap without
    either covering the other, which totals over their days count twice: this load's
    (``partial_lines``) and the stored ones, as "ingest N: first to last" (``partial_stored``).
    """

    superseded: int = 0
    covered: list[tuple[int, str]] = field(default_factory=list)
    covering: set[int] = field(default_factory=set)  # the loads holding the finer rows
    partial_lines: list[int] = field(default_factory=list)
    partial_stored: list[str] = field(default_factory=list)
    # Loads whose rows share a unit with rows of unknown period ("All time") on the other
    # side: only totals without a time range count those, and they count both.
    unbounded: list[int] = field(default_factory=list)


def reconcile_granularities(
    con: duckdb.DuckDBPyConnection, target: str, ingest_id: int, workspace: str, platform: str
) -> Overlaps:
    """Settle this load's rows against stored rows of the same unit (account, else campaign)
    and another length of period, after restatement has replaced rows of the same one.

    Day and hour rows are one day long; range rows (weekly, monthly, whole-report) as long
    as their period. Rows with unknown bounds ("All time") overlap nothing that can be told.
    """
    found = Overlaps()
    unit = _UNIT[target]
    known = f"{_FIRST} IS NOT NULL AND {_LAST} IS NOT NULL"
    scope = f"workspace = ? AND platform = ? AND ingest_id <> ? AND {known}"
    params = [workspace, platform, ingest_id]
    has_range = _exists(con, target, f"ingest_id = ? AND grain = 'range' AND {known}", [ingest_id])
    older_range = _exists(con, target, f"{scope} AND grain = 'range'", params)
    found.unbounded = _beside_unbounded(con, target, ingest_id, workspace, platform)
    if not has_range and not older_range:
        return found  # day rows against day rows: restatement has settled them
    days = (
        f"SELECT DISTINCT {unit} AS unit, CAST(d AS DATE) AS day, "
        f"{_LAST} - {_FIRST} + 1 AS span, ingest_id FROM {target}, "
        f"generate_series(CAST({_FIRST} AS TIMESTAMP), CAST({_LAST} AS TIMESTAMP), "
        "INTERVAL 1 DAY) AS g(d) WHERE {where}"
    )
    rows = (
        f"SELECT rowid AS id, source_row, ingest_id, {unit} AS unit, {_FIRST} AS first, "
        f"{_LAST} AS last, {_LAST} - {_FIRST} + 1 AS span FROM {target} WHERE {{where}}"
    )

    def near(side: str) -> str:
        """Rows of the units and days that ``side``'s rows have, as literals (constant
        bounds let DuckDB skip row groups: a one-month summary does not read a store's
        years of daily rows)."""
        bounds = fetch_one(
            con,
            f"SELECT min({_FIRST}), max({_LAST}), list(DISTINCT {unit}) FROM {target} WHERE {side}",
        )
        if bounds[0] is None or bounds[1] is None:
            return "false"
        units = ", ".join(literal(str(u)) for u in bounds[2] or []) or "NULL"
        return (
            f"{_LAST} >= DATE {literal(str(bounds[0]))} AND {_FIRST} <= DATE "
            f"{literal(str(bounds[1]))} AND {unit} IN ({units})"
        )

    # This load's coarser rows that older finer rows cover day for day: rejected.
    if has_range:
        mine = f"ingest_id = {int(ingest_id)} AND grain = 'range' AND {known}"
        new = rows.format(where=mine)
        old = days.format(where=f"{scope} AND {near(mine)}")
        for line, span, covered, overlap, ingests in con.execute(
            f"SELECT n.source_row, n.span, count(DISTINCT o.day) FILTER (WHERE o.span < n.span), "
            "count(DISTINCT o.day), list(DISTINCT o.ingest_id ORDER BY o.ingest_id) "
            f"FROM ({new}) n JOIN ({old}) o ON o.unit = n.unit AND o.day BETWEEN n.first AND "
            "n.last GROUP BY n.id, n.source_row, n.span ORDER BY n.source_row",
            params,
        ).fetchall():
            loads = ", ".join(map(str, ingests))
            if covered == span:
                found.covering.update(int(i) for i in ingests)
                found.covered.append(
                    (
                        int(line),
                        f"every day of its period is already loaded in finer rows (ingest "
                        f"{loads}): counting this row too would double its totals",
                    )
                )
            elif overlap:
                found.partial_lines.append(int(line))
        if found.covered:
            con.execute(
                f"DELETE FROM {target} WHERE ingest_id = ? AND source_row IN "
                f"({', '.join(str(line) for line, _ in found.covered)})",
                [ingest_id],
            )
    # Older coarser rows that this load's finer rows cover day for day: superseded.
    if older_range:
        theirs = (
            f"workspace = {literal(workspace)} AND platform = {literal(platform)} AND "
            f"ingest_id <> {int(ingest_id)} AND grain = 'range' AND {known}"
        )
        old = rows.format(where=f"{scope} AND grain = 'range'")
        new = days.format(where=f"ingest_id = {int(ingest_id)} AND {known} AND {near(theirs)}")
        gone = []
        stored = set()
        for row_id, ingest, first, last, span, covered, overlap in con.execute(
            "SELECT o.id, o.ingest_id, o.first, o.last, o.span, "
            "count(DISTINCT n.day) FILTER (WHERE n.span < o.span), count(DISTINCT n.day) "
            f"FROM ({old}) o JOIN ({new}) n ON n.unit = o.unit AND n.day BETWEEN o.first AND "
            "o.last GROUP BY ALL ORDER BY o.ingest_id, o.first",
            params,
        ).fetchall():
            if covered == span:
                gone.append(int(row_id))
            elif overlap:
                stored.add(f"ingest {ingest}: {first} to {last}")
        found.partial_stored = sorted(stored)
        if gone:
            con.execute(f"DELETE FROM {target} WHERE rowid IN ({', '.join(map(str, gone))})")
            found.superseded = len(gone)
    return found


def _exists(con: duckdb.DuckDBPyConnection, target: str, where: str, args: list[object]) -> bool:
    """Whether any row matches (the scan stops at the first)."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {target} WHERE {where} LIMIT 1)"
    return bool(fetch_one(con, sql, args)[0])


def _beside_unbounded(
    con: duckdb.DuckDBPyConnection, target: str, ingest_id: int, workspace: str, platform: str
) -> list[int]:
    """Other loads of the same units when one side has rows of unknown period."""
    unit = _UNIT[target]
    unknown = f"grain = 'range' AND ({_FIRST} IS NULL OR {_LAST} IS NULL)"
    others = "workspace = ? AND platform = ? AND ingest_id <> ?"
    mine = f"ingest_id = {int(ingest_id)}"
    params: list[object] = [workspace, platform, ingest_id]
    # Rows of unknown period are rare: most loads only look for them.
    parts, args = [], []
    if _exists(con, target, f"{mine} AND {unknown}", []):
        parts.append(
            f"SELECT ingest_id FROM {target} WHERE {others} AND {unit} IN "
            f"(SELECT {unit} FROM {target} WHERE {mine} AND {unknown})"
        )
        args += params
    if _exists(con, target, f"{others} AND {unknown}", params):
        parts.append(
            f"SELECT ingest_id FROM {target} WHERE {others} AND {unknown} AND "
            f"{unit} IN (SELECT {unit} FROM {target} WHERE {mine})"
        )
        args += params
    if not parts:
        return []
    union = " UNION ALL ".join(parts)
    rows = con.execute(f"SELECT DISTINCT ingest_id FROM ({union}) ORDER BY 1", args).fetchall()
    return [int(r[0]) for r in rows]
