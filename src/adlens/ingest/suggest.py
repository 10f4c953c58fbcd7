"""Fixes the quality report suggests, each with a confidence; none is ever applied.

- near-duplicate values of a categorical column (campaign names, UTM values): spellings
  that differ in case, spacing or separators ("Summer Sale" / "summer sale "), or by a
  typo ("Sumer Sale", found with rapidfuzz), with the spelling most rows use as the fix;
- numeric outliers: a campaign's daily spend or CPC far from its own usual level (in the
  200 campaigns with the most spend, which bounds the cost on large files), by the
  robust z-score 0.6745 * (x - median) / MAD (Iglewicz and Hoaglin; |z| > 3.5 is an
  outlier), which one extreme day cannot mask the way it masks a mean and deviation;
  weekends are compared with weekends and weekdays with weekdays (B2B stops on Saturdays,
  retail peaks) when each has seven days or more,
  and a day is flagged only when it is also 30% or more off the median (a very steady
  campaign has a tiny MAD that would make ordinary noise look extreme);
- UTM lint: a medium no channel rule knows (GA4 files it as Unassigned), values in mixed
  case (GA4 tells "Facebook" from "facebook"), tagged rows without a campaign.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import duckdb
from rapidfuzz import fuzz, process

from adlens.channels import classify
from adlens.consolidate.names import words
from adlens.utm import normalize_utm
from adlens.words import rows

CATEGORICAL = {
    "ad_performance": (
        "campaign_name",
        "ad_group_name",
        "utm_source",
        "utm_medium",
        "utm_campaign",
    ),
    "sessions": ("source", "medium", "campaign"),
}
MAX_VALUES = 2_000  # most frequent distinct values compared per column
SIMILAR_CUTOFF = 90.0
Z_LIMIT, MIN_DAYS, MAX_OUTLIERS = 3.5, 7, 10
MIN_CHANGE = 0.3  # and 30% off the median: steady campaigns have tiny MADs
MAX_CAMPAIGNS = 200  # outliers are looked for in the campaigns with the most spend
_NUMBER = re.compile(r"\d+")
# A source or medium GA4 writes itself, not a UTM someone typed.
_GA4_VALUES = frozenset({"(direct)", "(none)", "(not set)", "(organic)", "(referral)"})


def suggestions(
    con: duckdb.DuckDBPyConnection, table: str, ingest_id: int | None
) -> list[dict[str, Any]]:
    """Every suggestion for the rows of one ingest (already in ``table``, uncommitted)."""
    found: list[dict[str, Any]] = []
    for field in CATEGORICAL[table]:
        counts = con.execute(
            f"SELECT {field}, count(*) AS n FROM {table} WHERE ingest_id = ? AND {field} "
            f"IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT {MAX_VALUES}",
            [ingest_id],
        ).fetchall()
        found += near_duplicates(field, [(str(v), int(n)) for v, n in counts])
    if table == "ad_performance":
        found += outliers(con, ingest_id)
    found += utm_lint(con, table, ingest_id)
    return found


def near_duplicates(field: str, counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Suggest the usual spelling for rarer spellings of the same value.

    ``counts`` is (value, rows) per distinct value.

    >>> [(s["value"], s["suggestion"], s["confidence"]) for s in near_duplicates(
    ...     "campaign_name", [("Summer Sale", 40), ("summer sale ", 2), ("Sumer Sale", 1)])]
    [('summer sale ', 'Summer Sale', 0.95), ('Sumer Sale', 'Summer Sale', 0.9)]
    """
    rows = dict(counts)
    by_key: dict[str, list[str]] = defaultdict(list)
    for value, _ in sorted(counts, key=lambda c: (-c[1], c[0])):
        key = " ".join(words(value))
        if key:
            by_key[key].append(value)
    found = []
    for spellings in by_key.values():
        for value in spellings[1:]:
            found.append(
                _near(
                    field,
                    value,
                    spellings[0],
                    rows,
                    0.95,
                    "differs only in case, spacing or separators from",
                )
            )
    # Typos: keys with the same numbers, compared with the keys more rows use.
    total = {key: sum(rows[v] for v in values) for key, values in by_key.items()}
    by_numbers: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key in sorted(by_key, key=lambda k: (-total[k], k)):
        by_numbers[tuple(_NUMBER.findall(key))].append(key)
    for keys in by_numbers.values():
        for index, key in enumerate(keys[1:], start=1):
            if len(key) < 5:
                continue
            match = process.extractOne(
                key, keys[:index], scorer=fuzz.ratio, score_cutoff=SIMILAR_CUTOFF
            )
            if match is None:
                continue
            target = by_key[str(match[0])][0]
            confidence = round(float(match[1]) / 100 - 0.05, 2)
            for value in by_key[key]:
                found.append(
                    _near(
                        field,
                        value,
                        target,
                        rows,
                        confidence,
                        f"looks like a typo ({match[1]:.0f}% similar) of",
                    )
                )
    return found


def _near(
    field: str, value: str, target: str, counts: dict[str, int], confidence: float, why: str
) -> dict[str, Any]:
    return {
        "kind": "near_duplicate",
        "field": field,
        "value": value,
        "suggestion": target,
        "confidence": confidence,
        "rows": counts[value],
        "message": f"{field} '{value}' ({rows(counts[value])}) {why} '{target}' "
        f"({rows(counts[target])}): write it as '{target}'?",
    }


def outliers(con: duckdb.DuckDBPyConnection, ingest_id: int | None) -> list[dict[str, Any]]:
    """Days where a campaign's spend or CPC is far from that campaign's own median."""
    found = con.execute(
        f"""
        WITH biggest AS (
            SELECT campaign_name FROM ad_performance
            WHERE ingest_id = ? AND grain = 'day' AND campaign_name IS NOT NULL
            GROUP BY campaign_name ORDER BY sum(spend_original) DESC NULLS LAST, campaign_name
            LIMIT {MAX_CAMPAIGNS}
        ),
        days AS MATERIALIZED (
            SELECT campaign_name, date, sum(spend_original) AS spend,
                   sum(spend_original) / nullif(sum(clicks), 0) AS cpc,
                   CASE WHEN isodow(date) >= 6 THEN 'weekend' ELSE 'weekday' END AS part
            FROM ad_performance SEMI JOIN biggest USING (campaign_name)
            WHERE ingest_id = ? AND grain = 'day'
            GROUP BY campaign_name, date
        ),
        by_part AS MATERIALIZED (
            SELECT campaign_name, part, count(*) AS days,
                   median(spend) AS spend_median, mad(spend) AS spend_mad,
                   median(cpc) AS cpc_median, mad(cpc) AS cpc_mad
            FROM days GROUP BY campaign_name, part
        ),
        overall AS (  -- only where weekends or weekdays alone are too few to judge
            SELECT campaign_name, count(*) AS days,
                   median(spend) AS spend_median, mad(spend) AS spend_mad,
                   median(cpc) AS cpc_median, mad(cpc) AS cpc_mad
            FROM days
            WHERE campaign_name IN (SELECT campaign_name FROM by_part WHERE days < {MIN_DAYS})
            GROUP BY campaign_name
        ),
        scored AS (
            SELECT d.*, CASE WHEN p.days >= {MIN_DAYS} THEN d.part END AS compared_with,
                   CASE WHEN p.days >= {MIN_DAYS} THEN p.spend_median ELSE o.spend_median END
                       AS spend_median,
                   CASE WHEN p.days >= {MIN_DAYS} THEN p.spend_mad ELSE o.spend_mad END
                       AS spend_mad,
                   CASE WHEN p.days >= {MIN_DAYS} THEN p.cpc_median ELSE o.cpc_median END
                       AS cpc_median,
                   CASE WHEN p.days >= {MIN_DAYS} THEN p.cpc_mad ELSE o.cpc_mad END AS cpc_mad
            FROM days d
            JOIN by_part p USING (campaign_name, part)
            LEFT JOIN overall o USING (campaign_name)
            WHERE p.days >= {MIN_DAYS} OR o.days >= {MIN_DAYS}
        ),
        metrics AS (
            SELECT campaign_name, 'spend' AS metric, date, spend AS value, spend_median AS median,
                   spend_mad AS mad, compared_with FROM scored
            UNION ALL
            SELECT campaign_name, 'cpc', date, cpc, cpc_median, cpc_mad, compared_with FROM scored
        )
        SELECT campaign_name, metric, date, value, median, mad,
               0.6745 * (value - median) / mad AS z, compared_with
        FROM metrics
        WHERE mad > 0 AND abs(0.6745 * (value - median) / mad) > {Z_LIMIT}
          AND abs(value - median) >= {MIN_CHANGE} * abs(median)
        ORDER BY abs(z) DESC, campaign_name, date, metric
        LIMIT {MAX_OUTLIERS}
        """,
        [ingest_id, ingest_id],
    ).fetchall()
    campaigns = sorted({row[0] for row in found})
    currencies = dict(
        con.execute(
            "SELECT campaign_name, any_value(currency) FROM ad_performance WHERE ingest_id = ? "
            f"AND campaign_name IN ({', '.join('?' * len(campaigns))}) GROUP BY 1",
            [ingest_id, *campaigns],
        ).fetchall()
        if campaigns
        else []
    )
    result = []
    for campaign, metric, day, value, median, mad, z, compared_with in found:
        label = "spend" if metric == "spend" else "CPC"
        side = "above" if z > 0 else "below"
        money = f" {currencies[campaign]}" if currencies.get(campaign) else ""
        result.append(
            {
                "kind": "outlier",
                "field": metric,
                "value": round(float(value), 2),
                "suggestion": None,
                "confidence": round(min(0.99, 0.5 + (abs(z) - Z_LIMIT) / 13), 2),
                "rows": 1,
                "campaign_name": campaign,
                "date": day.isoformat(),
                "robust_z": round(float(z), 1),
                "message": f"{label} of '{campaign}' on {day} is {value:,.2f}{money}, "
                f"{abs(z):.1f} robust z-scores {side} its "
                + (f"{compared_with} " if compared_with else "")
                + f"median {median:,.2f} (MAD {mad:,.2f}): check the export, or note what "
                "changed that day",
            }
        )
    return result


def utm_lint(
    con: duckdb.DuckDBPyConnection, table: str, ingest_id: int | None
) -> list[dict[str, Any]]:
    """Unknown mediums, mixed case and missing campaigns in UTM-tagged rows."""
    names = (
        ("utm_source", "utm_medium", "utm_campaign")
        if table == "ad_performance"
        else ("source", "medium", "campaign")
    )
    source, medium, campaign = names
    tagged = con.execute(
        f"SELECT {source}, {medium}, {campaign}, count(*) FROM {table} "
        f"WHERE ingest_id = ? AND coalesce({source}, {medium}) IS NOT NULL GROUP BY ALL",
        [ingest_id],
    ).fetchall()
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def add(key: tuple[str, str], n: int, item: dict[str, Any]) -> None:
        if key in found:
            found[key]["rows"] += n
        else:
            found[key] = {"kind": "utm", "rows": n} | item

    for src, med, camp, n in tagged:
        if med and med.lower() not in _GA4_VALUES and classify(src, med, camp) == "Unassigned":
            fixed = normalize_utm("utm_medium", med)
            known = classify(src, fixed, camp) != "Unassigned"
            add(
                ("unknown", med),
                n,
                {
                    "field": medium,
                    "value": med,
                    "suggestion": fixed if known else None,
                    "confidence": 0.9 if known else 0.5,
                    "message": f"{medium} '{med}' matches no channel rule, so GA4 files its "
                    "sessions as Unassigned"
                    + (
                        f": write it as '{fixed}'?"
                        if known
                        else "; use cpc, paid_social, email, display, referral, affiliate..."
                    ),
                },
            )
        for field, value in ((source, src), (medium, med), (campaign, camp)):
            if value and value != value.lower() and value.lower() not in _GA4_VALUES:
                if field == campaign and table == "sessions":
                    continue  # GA4 reports campaigns as tagged; their case is the map's job
                kind = "utm_campaign" if field == campaign else f"utm_{field.removeprefix('utm_')}"
                fixed = value.lower() if field == campaign else normalize_utm(kind, value)
                add(
                    ("case", f"{field}={value}"),
                    n,
                    {
                        "field": field,
                        "value": value,
                        "suggestion": fixed,
                        "confidence": 0.95,
                        "message": f"{field} '{value}' is in mixed case: GA4 counts "
                        f"'{value}' and '{value.lower()}' apart; write it as '{fixed}'?",
                    },
                )
        paid = classify(src, med).startswith("Paid")
        if (table == "ad_performance" and not camp) or (paid and camp in (None, "(not set)")):
            add(
                ("missing", campaign),
                n,
                {
                    "field": campaign,
                    "value": None,
                    "suggestion": None,
                    "confidence": 0.9,
                    "message": "paid or tagged traffic has no campaign: GA4 shows these "
                    "sessions under campaign (not set), so no campaign gets credit; add "
                    "utm_campaign to the ads' URLs",
                },
            )
    for item in found.values():
        item["message"] = f"{item['message']} ({rows(item['rows'])})"
    return sorted(found.values(), key=lambda item: (item["field"], str(item["value"])))
