"""Duplicate loads: rows an export repeats, and the same rows stored by two loads.

Both are data problems whatever the numbers look like, so they are found from the lineage the
store keeps (``rejects`` and ``ingest_id``), not from the series.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adlens.store import Store
from adlens.words import rows


def duplicate_incidents(store: Store, workspace: str, since: date | None) -> list[dict[str, Any]]:
    """Incident rows (without severity) for repeated rows within a file and across loads."""
    since = since or date(1, 1, 1)
    within = store.query(
        """
        WITH repeats AS (
            SELECT ingest_id, source_file, source_row AS line,
                   CAST(regexp_extract(reason, 'line (\\d+)', 1) AS BIGINT) AS first_line
            FROM rejects WHERE workspace = ? AND reason LIKE 'exact duplicate of line %'
        )
        SELECT f.platform, coalesce(f.account_id, f.account_name) AS account_id,
               f.campaign_name, f.date, any_value(r.source_file) AS source_file,
               min(r.line) AS line, min(r.first_line) AS first_line, count(*) AS repeats,
               sum(f.spend) AS repeated_spend,
               (SELECT sum(spend) FROM ad_performance a WHERE a.workspace = ?
                  AND a.platform = f.platform AND a.campaign_name IS NOT DISTINCT FROM
                  f.campaign_name AND a.date = f.date) AS stored_spend
        FROM repeats r JOIN ad_performance f
          ON f.ingest_id = r.ingest_id AND f.source_row = r.first_line
        WHERE f.workspace = ? AND f.date >= ?
        GROUP BY ALL ORDER BY f.date
        """,
        [workspace, workspace, workspace, since],
    )
    found = []
    for row in within:
        stored, repeated = row["stored_spend"] or 0.0, row["repeated_spend"] or 0.0
        found.append(
            _incident(
                row,
                kind="duplicate rows",
                actual=stored + repeated,
                expected=stored,
                money=repeated,
                explanation=(
                    f"{row['source_file']} repeats {rows(row['repeats'])} of campaign "
                    f"'{row['campaign_name']}' for {row['date']} identically (line "
                    f"{row['line']} = line {row['first_line']}). adlens loaded them once, so "
                    f"stored totals are right, but the export itself double counts "
                    f"{repeated:,.2f}: check the report's breakdown before using the file "
                    "anywhere else."
                ),
            )
        )
    across = store.query(
        """
        WITH repeated AS (
            SELECT platform, coalesce(account_id, account_name) AS account_id, campaign_name,
                   date, count(DISTINCT ingest_id) AS loads, list(DISTINCT ingest_id) AS ingests,
                   any_value(spend) * (count(*) - 1) AS extra_spend, any_value(spend) AS spend
            FROM ad_performance
            WHERE workspace = ? AND grain = 'day' AND date >= ?
            GROUP BY platform, account_id, account_name, campaign_id, campaign_name,
                     ad_group_id, ad_group_name, ad_id, ad_name, keyword, match_type,
                     search_term, date, spend, impressions, clicks, conversions,
                     conversion_value
            HAVING count(DISTINCT ingest_id) > 1
        )
        SELECT platform, account_id, campaign_name, min(date) AS first_day,
               max(date) AS last_day, sum(extra_spend) AS extra_spend, sum(spend) AS spend,
               count(*) AS rows, list_sort(flatten(list(ingests))) AS ingests
        FROM repeated GROUP BY ALL ORDER BY first_day
        """,
        [workspace, since],
    )
    for row in across:
        loads = sorted(set(row["ingests"]))
        found.append(
            _incident(
                {**row, "date": row["first_day"]},
                kind="duplicate load",
                actual=row["spend"] + row["extra_spend"],
                expected=row["spend"],
                money=row["extra_spend"],
                end=row["last_day"],
                explanation=(
                    f"{rows(row['rows'])} of campaign '{row['campaign_name']}' "
                    f"{'is' if row['rows'] == 1 else 'are'} stored "
                    f"identically by loads {', '.join(map(str, loads))}: its totals count "
                    f"{row['extra_spend']:,.2f} of spend twice. Remove the overlapping load or "
                    "export non-overlapping periods."
                ),
            )
        )
    return found


def _incident(
    row: dict[str, Any],
    *,
    kind: str,
    actual: float,
    expected: float,
    money: float,
    explanation: str,
    end: date | None = None,
) -> dict[str, Any]:
    return {
        "platform": row["platform"],
        "account_id": row["account_id"],
        "campaign_name": row["campaign_name"],
        "metric": "spend",
        "period_start": row["date"],
        "period_end": end or row["date"],
        "actual": actual,
        "expected_low": expected,
        "expected_high": expected,
        "deviation": (actual - expected) / expected if expected else None,
        "money_at_stake": money,
        "driver": None,
        "triage": "data problem",
        "explanation": explanation,
        "level": "campaign",
        "kind": kind,
        "related_metrics": None,
        "model_score": None,
        "_strength": 1.0,
    }
