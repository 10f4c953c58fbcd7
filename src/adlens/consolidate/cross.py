"""One row per canonical campaign: ad spend next to GA4 sessions, blended, reconciled.

Ad facts join the campaign map on (platform, campaign_name), GA4 sessions on
(platform 'ga4', campaign). Blended ratios use GA4's conversions and revenue, which
count each sale once whichever platforms claim it: ``blended_cpa`` = spend / GA4
conversions, ``blended_roas`` = GA4 revenue / spend (None when the denominator is 0).

Reconciliation: some ad clicks never become sessions (the visitor leaves before the page
loads, consent banners, blockers), so sessions are normally 50% to 120% of clicks. Far
fewer sessions means clicks arrive without this campaign's UTMs or the tag does not fire;
far more means other traffic carries the campaign's UTMs or a platform's data is missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adlens.store import Store

NORMAL_LOW, NORMAL_HIGH = 0.5, 1.2  # sessions / clicks of a well-tagged campaign
MIN_CLICKS = 30  # fewer clicks than this say nothing about tracking
_AD_SUMS = ("spend", "impressions", "clicks", "conversions", "conversion_value")


def cross_platform(
    store: Store,
    workspace: str = "default",
    start: date | None = None,
    end: date | None = None,
    *,
    by_day: bool = False,
) -> list[dict[str, Any]]:
    """Spend, clicks and GA4 outcomes per canonical campaign (and day with ``by_day``).

    Day rows count when their date is in [start, end]; range rows (no per-day data) count
    only without ``by_day`` and when their whole period is inside [start, end].
    """
    day = "date" if by_day else "CAST(NULL AS DATE)"
    when = _period(start, end, by_day)
    sql = f"""
    WITH m AS (
        SELECT platform, campaign_name, canonical_campaign FROM campaign_map WHERE workspace = ?
    ),
    ads AS (
        SELECT m.canonical_campaign, {day} AS day, list(DISTINCT f.platform) AS platforms,
               {", ".join(f"sum(f.{c}) AS {c}" for c in _AD_SUMS)}
        FROM ad_performance f JOIN m USING (platform, campaign_name)
        WHERE f.workspace = ? AND {when}
        GROUP BY ALL
    ),
    ga AS (
        SELECT m.canonical_campaign, {day} AS day, sum(s.sessions) AS sessions,
               sum(s.conversions) AS ga4_conversions, sum(s.revenue) AS ga4_revenue
        FROM sessions s JOIN m ON m.platform = s.platform AND m.campaign_name = s.campaign
        WHERE s.workspace = ? AND {when}
        GROUP BY ALL
    )
    SELECT coalesce(ads.canonical_campaign, ga.canonical_campaign) AS canonical_campaign,
           coalesce(ads.day, ga.day) AS date,
           coalesce(ads.platforms, []) AS platforms,
           {", ".join(f"coalesce(ads.{c}, 0) AS {c}" for c in _AD_SUMS)},
           coalesce(ga.sessions, 0) AS sessions,
           coalesce(ga.ga4_conversions, 0) AS ga4_conversions,
           coalesce(ga.ga4_revenue, 0) AS ga4_revenue,
           ga.canonical_campaign IS NOT NULL AS has_ga4
    FROM ads FULL JOIN ga
      ON ads.canonical_campaign = ga.canonical_campaign
     AND ads.day IS NOT DISTINCT FROM ga.day
    ORDER BY date, spend DESC, canonical_campaign
    """
    rows = store.query(sql, [workspace, workspace, workspace])
    result = []
    for row in rows:
        platforms = sorted(row.pop("platforms")) + (["ga4"] if row.pop("has_ga4") else [])
        day_value = row.pop("date")
        head: dict[str, Any] = {"canonical_campaign": row.pop("canonical_campaign")}
        if by_day:
            head["date"] = day_value.isoformat() if day_value else None
        row = head | {"platforms": platforms} | row
        row["spend"] = round(float(row["spend"]), 2)
        row["impressions"], row["clicks"] = int(row["impressions"]), int(row["clicks"])
        row["sessions"] = int(row["sessions"])
        for name in ("conversions", "conversion_value", "ga4_conversions", "ga4_revenue"):
            row[name] = round(float(row[name]), 2)
        # Without GA4 data for the campaign there is nothing to blend with.
        ga4 = "ga4" in platforms
        row["blended_cpa"] = _ratio(row["spend"], row["ga4_conversions"]) if ga4 else None
        row["blended_roas"] = _ratio(row["ga4_revenue"], row["spend"]) if ga4 else None
        row |= reconcile(row["clicks"], row["sessions"])
        result.append(row)
    return result


def reconcile(clicks: int, sessions: int) -> dict[str, Any]:
    """The click/session gap of a campaign, whether it needs a look, and why.

    >>> reconcile(1000, 850)["gap_flag"], reconcile(1000, 120)["gap_flag"]
    (False, True)
    >>> reconcile(0, 40)["click_session_gap"] is None
    True
    """
    gap = round(sessions / clicks - 1, 4) if clicks else None
    share = sessions / clicks if clicks else 0.0
    band = f"{NORMAL_LOW:.0%}–{NORMAL_HIGH:.0%}"
    if not clicks:
        text = (
            "GA4 sessions only: no ad clicks are mapped to this campaign"
            if sessions
            else "no clicks and no sessions in this period"
        )
        return {"click_session_gap": gap, "gap_flag": False, "gap_explanation": text}
    if clicks < MIN_CLICKS:
        text = f"only {clicks} clicks: too few to judge tracking"
        return {"click_session_gap": gap, "gap_flag": False, "gap_explanation": text}
    if sessions == 0:
        text = (
            f"{clicks:,} ad clicks but no GA4 session carries this campaign: the ads' URLs "
            "probably lack utm_campaign (or spell it differently); tag them, or map the GA4 "
            "campaign name to this campaign"
        )
        return {"click_session_gap": gap, "gap_flag": True, "gap_explanation": text}
    if share < NORMAL_LOW:
        text = (
            f"GA4 recorded {sessions:,} sessions for {clicks:,} ad clicks ({share:.0%}, normal "
            f"is {band}): a tracking or UTM problem; check that every ad's URL carries this "
            "campaign's UTMs and that the GA4 tag fires on its landing pages"
        )
        return {"click_session_gap": gap, "gap_flag": True, "gap_explanation": text}
    if share > NORMAL_HIGH:
        text = (
            f"GA4 recorded {sessions:,} sessions for {clicks:,} ad clicks ({share:.0%}, normal "
            f"is {band}): other traffic (email, organic posts) uses this campaign's UTMs, or a "
            "platform's ad data is not loaded"
        )
        return {"click_session_gap": gap, "gap_flag": True, "gap_explanation": text}
    text = (
        f"sessions are {share:.0%} of ad clicks, within the normal {band}: some clicks never "
        "become sessions (visitors leaving before the page loads, consent, blockers)"
    )
    return {"click_session_gap": gap, "gap_flag": False, "gap_explanation": text}


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _period(start: date | None, end: date | None, by_day: bool) -> str:
    """SQL keeping rows inside [start, end]: dates are literals of real ``date`` objects."""
    low = f"DATE '{start.isoformat()}'" if start else None
    high = f"DATE '{end.isoformat()}'" if end else None
    day_ok = (
        " AND ".join([f"date >= {low}"] * bool(low) + [f"date <= {high}"] * bool(high)) or "true"
    )
    if by_day:
        return f"date IS NOT NULL AND {day_ok}"
    range_ok = (
        " AND ".join(
            [f"period_start >= {low}"] * bool(low) + [f"period_end <= {high}"] * bool(high)
        )
        or "true"
    )
    return f"((date IS NOT NULL AND {day_ok}) OR (date IS NULL AND {range_ok}))"
