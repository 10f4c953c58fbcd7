"""Restatement: a newer export of days already loaded replaces them.

Ad platforms restate the last weeks (late conversions, invalid-click refunds),
so the newest export of a platform/account/day is the truth. Range rows are
replaced by a newer export of the same platform, account and period. When an
export has no account column, the unit replaced is the campaign-day instead
(for web analytics: the source / medium / campaign day).
"""

from __future__ import annotations

import duckdb

from adlens.ingest.checks import business_columns
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
