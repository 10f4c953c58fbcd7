"""The data quality report of one ingest: a 0-100 score per dimension, and what to do.

Besides the score, ``suggestions`` lists fixes with a confidence (near-duplicate
spellings, outliers, UTM lint; see :mod:`adlens.ingest.suggest`); they do not change the
score and are never applied.

Dimensions (weights in the overall score):
- validity (30): rows that could be loaded, and loaded rows that make sense
  (clicks never exceed impressions; conversions above clicks are normal: view-through).
- completeness (25): key fields filled in the loaded rows.
- consistency (20): the file agrees with itself: totals rows, decimal convention,
  exported ratios vs counts, one spelling per campaign, known currencies.
- uniqueness (15): no row repeated within the file.
- timeliness (10): how fresh the data is, and no missing days inside its range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb

from adlens.ingest import suggest
from adlens.ingest.plan import Plan
from adlens.ingest.report import IngestReport
from adlens.store.db import fetch_one
from adlens.words import have, rows

WEIGHTS = {
    "validity": 0.30,
    "completeness": 0.25,
    "consistency": 0.20,
    "uniqueness": 0.15,
    "timeliness": 0.10,
}
KEY_FIELDS = {
    "ad_performance": ("campaign_name", "spend_original", "impressions", "clicks", "currency"),
    "sessions": ("source", "medium", "campaign", "sessions"),
}
FRESH_DAYS, STALE_DAYS = 2, 90


_MONEY = ("spend", "conversion_value", "revenue")
# What a report without the column misses, and what to add to it.
_ABSENT_MEANS = {
    "source": "where sessions come from is unknown; add Session source / medium to the report",
    "medium": "where sessions come from is unknown; add Session source / medium to the report",
    "campaign": "sessions cannot be set beside ad campaigns (`adlens campaigns`); add the "
    "Session campaign dimension to the report",
}
# What an empty key field does to the numbers, and what to do about it.
_MISSING_NUMBER = (
    "empty cells ('' or '--') count as 0 in sums and ratios; if the platform recorded a "
    "value, export the report again with that column filled"
)
_MISSING_MEANS = {
    "campaign_name": "such rows count in totals but under no campaign; export with the "
    "Campaign column (or map one with --mapping)",
    "currency": "spend without a currency cannot be converted to the reporting currency and "
    "stays empty (the exported amount is kept as spend_original); add a Currency column or "
    "`currency:` in a mapping file",
    "source": "GA4 puts such sessions in no source; check the report's dimensions",
    "medium": "the channel of such sessions cannot be told; check the report's dimensions",
    "campaign": "such sessions count in totals but under no campaign; add the Session "
    "campaign dimension to the report",
}


def totals_gaps(checks: list[dict[str, Any]]) -> str:
    """The differences of a totals check, as a person reads them: money with cents, whole
    counts without.

    >>> totals_gaps([{"measure": "spend", "difference": -2445.3},
    ...              {"measure": "clicks", "difference": -1247.0}])
    'spend -2,445.30, clicks -1,247'
    """
    return ", ".join(
        f"{c['measure']} {c['difference']:+,.0f}"
        if float(c["difference"]).is_integer() and c["measure"] not in _MONEY
        else f"{c['measure']} {c['difference']:+,.2f}"
        for c in checks
    )


def score(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    report: IngestReport,
    profile: dict[str, Any],
    duplicates: int,
    today: date | None = None,
) -> dict[str, Any]:
    """Score one ingest (its rows are in the store, uncommitted) and recommend fixes."""
    today = today or datetime.now(UTC).date()
    recs: list[dict[str, Any]] = []
    table, ingest_id = plan.target, report.ingest_id
    loaded = max(report.rows_loaded, 0)
    read = max(report.rows_read, 1)

    def add(dimension: str, count: int, message: str, severity: str = "warning") -> None:
        recs.append(
            {"dimension": dimension, "severity": severity, "count": count, "message": message}
        )

    # validity --------------------------------------------------------------------------------
    rejected = report.rows_rejected - duplicates
    insane = 0
    if table == "ad_performance":
        row = fetch_one(
            con,
            "SELECT count(*) FILTER (WHERE clicks > impressions) FROM ad_performance "
            "WHERE ingest_id = ?",
            [ingest_id],
        )
        insane = int(row[0]) if row else 0
    if rejected:
        reasons = con.execute(
            "SELECT reason, count(*), min(source_row) FROM rejects WHERE ingest_id = ? "
            "AND reason NOT LIKE 'exact duplicate%' GROUP BY reason ORDER BY 2 DESC LIMIT 3",
            [ingest_id],
        ).fetchall()
        for reason, count, line in reasons:
            add(
                "validity",
                int(count),
                f"{rows(count)} rejected: {reason} (first on line {line}); correct the "
                "export and load it again — the rest of the file is loaded",
                "error",
            )
    if insane:
        add(
            "validity",
            insane,
            f"{rows(insane)} {have(insane)} more clicks than impressions, which no platform "
            "reports; "
            "check that the Clicks and Impressions columns are not swapped",
        )
    validity = 100.0 * (1 - (rejected + insane) / read)

    # completeness ----------------------------------------------------------------------------
    fields = [f for f in KEY_FIELDS[table] if f != "currency" or table == "ad_performance"]
    parts = ", ".join(f"count({f})" for f in fields)
    filled = fetch_one(con, f"SELECT {parts} FROM {table} WHERE ingest_id = ?", [ingest_id])
    shares = []
    absent: dict[str, list[str]] = {}  # what the report misses -> the fields it has none of
    for field, count in zip(fields, filled or (), strict=True):
        share = int(count) / loaded if loaded else 0.0
        shares.append(share)
        if loaded and int(count) < loaded:
            missing, name = loaded - int(count), field.removesuffix("_original")
            means = _MISSING_MEANS.get(field, _MISSING_NUMBER)
            if not count and field in _ABSENT_MEANS:  # the report has no such column
                absent.setdefault(_ABSENT_MEANS[field], []).append(name)
                continue
            add(
                "completeness",
                missing,
                f"{missing:,} of {rows(loaded)} loaded {have(missing)} no {name}: {means}",
            )
    for means, names in absent.items():
        add("completeness", loaded, f"no row has a {' or '.join(names)}: {means}")
    completeness = 100.0 * sum(shares) / len(shares) if shares else 100.0

    # uniqueness ------------------------------------------------------------------------------
    if duplicates:
        add(
            "uniqueness",
            duplicates,
            f"{rows(duplicates)} exactly repeated an earlier row of the file: loaded once, the "
            "copies are in rejects (was the export appended to itself?)",
        )
    uniqueness = 100.0 * (1 - duplicates / read)

    # consistency -----------------------------------------------------------------------------
    consistency = 100.0
    off = [t for t in report.totals_check if not t["ok"]]
    if off:
        explained = all(t["explained_by_rejects"] for t in off)
        consistency -= 5 if explained else 30
        label = off[0]["row"]
        gaps = totals_gaps(off)
        why = (
            f"exactly the values of the rejected rows ({rows(rejected)}): fix them and the "
            "file adds up"
            if explained
            else "rows may be missing from the export, or it was edited after download"
        )
        add(
            "consistency",
            len(off),
            f"the loaded rows differ from the file's '{label}' row ({gaps}): {why}",
            "warning" if explained else "error",
        )
    if plan.expected_rows is not None and plan.expected_rows != report.rows_read:
        consistency -= 20
        add(
            "consistency",
            abs(plan.expected_rows - report.rows_read),
            f"the export says it has {plan.expected_rows:,} rows but {report.rows_read:,} were "
            "read: it may have been cut short or edited; download it again",
            "error",
        )
    convention = "." if plan.decimal == "." else ","
    for name, count in profile.items():
        if name.startswith("_other_") and count:
            field = name.removeprefix("_other_")
            example = profile.get(f"_example_{field}")
            consistency -= min(20.0, 100.0 * count / read)
            add(
                "consistency",
                int(count),
                f"{rows(count)} {have(count)} {plan.header(field)} like '{example}' in a file "
                "using "
                f"'{convention}' decimals: they were read as "
                f"{'European' if convention == '.' else 'US'} numbers; check the export's "
                "number format",
            )
        if name.startswith("_off_") and count:
            ratio = name.removeprefix("_off_")
            sampled = int(profile.get("_ratio_rows") or 0)
            consistency -= min(10.0, 100.0 * count / max(sampled, 1))
            where = f"of the first {sampled:,} rows " if sampled < report.rows_read else ""
            add(
                "consistency",
                int(count),
                f"{rows(count)} {where}{have(count)} an exported {ratio.upper()} that does not "
                "match "
                "the counts in the same row; ratios are recomputed from sums, so check the counts",
            )
    if table == "ad_performance":
        for canonical, spellings in _spellings(con, ingest_id):
            consistency -= 5
            shown = ", ".join(f"'{s}'" for s in spellings[:4])
            add(
                "consistency",
                len(spellings),
                f"campaign '{canonical}' appears with {len(spellings)} spellings: {shown}; "
                "dashboards split it unless the names are unified",
            )
    if plan.date_format and plan.date_format.ambiguous and "decided" not in " ".join(plan.notes):
        consistency -= 5
        add("consistency", 0, plan.date_format.note or "date order is ambiguous", "info")
    consistency = max(0.0, consistency)

    # timeliness ------------------------------------------------------------------------------
    timeliness = 100.0
    span = fetch_one(
        con,
        f"SELECT max(coalesce(date, period_end)), min(date), max(date), count(DISTINCT date) "
        f"FROM {table} WHERE ingest_id = ?",
        [ingest_id],
    )
    if span and span[0]:
        lag = (today - span[0]).days
        if lag > FRESH_DAYS:
            timeliness = max(0.0, 100.0 * (1 - (lag - FRESH_DAYS) / (STALE_DAYS - FRESH_DAYS)))
            add("timeliness", lag, f"the newest data is {lag} days old ({span[0]})", "info")
        if span[1] and span[2]:
            expected = (span[2] - span[1]).days + 1
            gaps = expected - int(span[3])
            if gaps > 0:
                timeliness = max(0.0, timeliness - min(50.0, 100.0 * gaps / expected))
                add(
                    "timeliness",
                    gaps,
                    f"{gaps} days between {span[1]} and {span[2]} have no rows at all; "
                    "was the export filtered, or did tracking stop?",
                )
    else:
        timeliness = 50.0
        add(
            "timeliness",
            0,
            "the rows have no dates (range report without a period); re-export with a Day "
            "column to get time series",
        )
    dimensions = {
        "validity": round(max(0.0, validity), 1),
        "completeness": round(completeness, 1),
        "consistency": round(consistency, 1),
        "uniqueness": round(uniqueness, 1),
        "timeliness": round(timeliness, 1),
    }
    overall = sum(dimensions[d] * w for d, w in WEIGHTS.items())
    return {
        "score": round(overall, 1),
        "dimensions": dimensions,
        "recommendations": recs,
        # Suggested fixes with a confidence; never applied (adlens.ingest.suggest).
        "suggestions": suggest.suggestions(con, table, ingest_id),
    }


def _spellings(
    con: duckdb.DuckDBPyConnection, ingest_id: int | None
) -> list[tuple[str, list[str]]]:
    """Campaign names that differ only in case, spacing or separators.

    The spelling used on most rows (then the first in order) names the group.
    """
    rows = con.execute(
        """
        SELECT list(campaign_name ORDER BY campaign_name),
               list(campaign_name ORDER BY n DESC, campaign_name)[1]
        FROM (
            SELECT campaign_name, count(*) AS n FROM ad_performance
            WHERE ingest_id = ? AND campaign_name IS NOT NULL GROUP BY campaign_name
        )
        GROUP BY regexp_replace(lower(campaign_name), '[^a-z0-9]+', '', 'g')
        HAVING count(*) > 1
        ORDER BY 2
        """,
        [ingest_id],
    ).fetchall()
    return [(str(top), [str(s) for s in names]) for names, top in rows]
