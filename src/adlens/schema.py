"""The unified schema every export is mapped into (DESIGN.md section 3).

``FACT_FIELDS`` and ``SESSION_FIELDS`` are what an adapter may map a column to;
the stored tables add lineage, time and workspace columns around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["date", "text", "number", "count", "percent", "currency"]


@dataclass(frozen=True)
class Field:
    """A column of the unified schema that an export column can map to."""

    name: str
    kind: Kind
    description: str


def _fields(*items: Field) -> dict[str, Field]:
    return {f.name: f for f in items}


# Fields shared by facts and sessions that describe *when* a row happened.
TIME_FIELDS = _fields(
    Field("date", "date", "calendar day of the row (day grain)"),
    Field("hour", "text", "hour of day, 0-23 or '13:00' (hour grain, with date)"),
    Field("period_start", "date", "first day a range row covers"),
    Field("period_end", "date", "last day a range row covers"),
    Field("week", "date", "first day of the week a row covers (weekly reports)"),
    Field("month", "text", "month a row covers: 2025-01, 2025-01-01 or January 2025"),
)
# Time fields whose values are dates in the file's date format (read with one format per file).
DATE_FIELDS = ("date", "period_start", "period_end", "week")

FACT_FIELDS = _fields(
    *TIME_FIELDS.values(),
    Field("account_id", "text", "ad account id"),
    Field("account_name", "text", "ad account name"),
    Field("campaign_id", "text", "campaign id"),
    Field("campaign_name", "text", "campaign name"),
    Field("campaign_type", "text", "campaign type, e.g. Search, Shopping (decides the channel)"),
    Field("ad_group_id", "text", "ad group / ad set id"),
    Field("ad_group_name", "text", "ad group / ad set name"),
    Field("ad_id", "text", "ad id"),
    Field("ad_name", "text", "ad name"),
    Field("url", "text", "destination URL; utm_* parameters are read from it"),
    Field("utm_source", "text", "utm_source"),
    Field("utm_medium", "text", "utm_medium"),
    Field("utm_campaign", "text", "utm_campaign"),
    Field("utm_content", "text", "utm_content"),
    Field("utm_term", "text", "utm_term"),
    Field("keyword", "text", "keyword (keyword reports)"),
    Field("match_type", "text", "keyword match type"),
    Field("search_term", "text", "search term (search terms reports)"),
    Field("currency", "currency", "ISO currency code of money columns"),
    Field("spend", "number", "cost in the export's currency"),
    Field("impressions", "count", "impressions"),
    Field("clicks", "count", "clicks (link clicks where the platform separates them)"),
    Field("conversions", "number", "conversions; fractional values are kept"),
    Field("conversion_value", "number", "conversion value / revenue"),
    # Exported ratios are never stored; they are read to check consistency.
    Field("ctr", "percent", "exported click-through rate (checked, not stored)"),
    Field("cpc", "number", "exported cost per click (checked, not stored)"),
)

SESSION_FIELDS = _fields(
    *TIME_FIELDS.values(),
    Field("source", "text", "session source"),
    Field("medium", "text", "session medium"),
    Field("source_medium", "text", "'source / medium' as GA4 prints it"),
    Field("campaign", "text", "session campaign"),
    Field("landing_page", "text", "landing page; its utm_* fill a missing source/medium/campaign"),
    Field("channel_group", "text", "the analytics tool's own channel group, kept as the channel"),
    Field("sessions", "count", "sessions"),
    Field("engaged_sessions", "count", "engaged sessions"),
    Field("users", "count", "users"),
    Field("conversions", "number", "key events / conversions"),
    Field("revenue", "number", "revenue"),
)

CHECK_ONLY = frozenset({"ctr", "cpc"})

PLATFORMS = ("meta", "google_ads", "tiktok", "linkedin", "microsoft", "ga4", "generic")
# How people name them (the dashboard's filters.js uses the same words).
PLATFORM_LABELS = {
    "meta": "Meta",
    "google_ads": "Google Ads",
    "tiktok": "TikTok",
    "linkedin": "LinkedIn",
    "microsoft": "Microsoft Ads",
    "ga4": "GA4",
    "generic": "Other",
}


def platform_label(platform: str | None) -> str:
    """``Google Ads`` for ``google_ads``; an unknown id as it is.

    >>> platform_label("google_ads"), platform_label("snapchat")
    ('Google Ads', 'snapchat')
    """
    return PLATFORM_LABELS.get(platform or "", platform or "(no platform)")


# Columns of the stored tables, in order (DDL lives in store/migrations.py).
FACT_COLUMNS = (
    "workspace",
    "ts",
    "date",
    "account_timezone",
    "grain",
    "period_start",
    "period_end",
    "platform",
    "account_id",
    "account_name",
    "campaign_id",
    "campaign_name",
    "ad_group_id",
    "ad_group_name",
    "ad_id",
    "ad_name",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "keyword",
    "match_type",
    "search_term",
    "channel",
    "currency",
    "spend_original",
    "fx_rate",
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
    "ingest_id",
    "source_file",
    "source_row",
)

SESSION_COLUMNS = (
    "workspace",
    "ts",
    "date",
    "grain",
    "period_start",
    "period_end",
    "platform",
    "source",
    "medium",
    "campaign",
    "channel",
    "sessions",
    "engaged_sessions",
    "users",
    "conversions",
    "revenue",
    "ingest_id",
    "source_file",
    "source_row",
)
