"""Test-only stand-ins for the ML routes the dashboard reads (GET /anomalies,
GET /campaigns/consolidated, GET/PUT /campaign-map).

The real routes arrive with the anomaly and consolidation libraries; until then the browser
tests serve these fixed rows, shaped exactly as the contract between the branches fixes
them, so that the Anomalies and Campaigns pages are exercised against that shape.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel


def anomaly_rows(day: date) -> list[dict[str, Any]]:
    """Two incidents: a spend spike on Meta (performance) and missing Google Ads clicks (data)."""
    start = day.isoformat()
    end = (day + timedelta(days=1)).isoformat()
    return [
        {
            "anomaly_id": 1,
            "workspace": "default",
            "platform": "meta",
            "account_id": None,
            "campaign_name": None,
            "metric": "spend",
            "period_start": f"{start}T00:00:00",
            "period_end": f"{end}T00:00:00",
            "actual": 4210.5,
            "expected_low": 1800.0,
            "expected_high": 2600.0,
            "deviation": 3.4,
            "severity": 0.82,
            "money_at_stake": 1610.5,
            "driver": "campaign_name = Black Friday Prospecting",
            "triage": "performance change",
            "explanation": "Meta spend was 62% above its usual range, almost all of it from "
            "Black Friday Prospecting, whose daily budget was raised.",
            "detected_at": f"{end}T06:00:00",
        },
        {
            "anomaly_id": 2,
            "workspace": "default",
            "platform": "google_ads",
            "account_id": None,
            "campaign_name": "Brand Search",
            "metric": "clicks",
            "period_start": f"{start}T00:00:00",
            "period_end": f"{end}T00:00:00",
            "actual": 0.0,
            "expected_low": 310.0,
            "expected_high": 520.0,
            "deviation": -5.1,
            "severity": 0.95,
            "money_at_stake": 0.0,
            "driver": "campaign_name = Brand Search",
            "triage": "data problem",
            "explanation": "Brand Search reported no clicks at all while it kept its "
            "impressions: the export is probably missing a column, not the traffic.",
            "detected_at": f"{end}T06:00:00",
        },
    ]


CONSOLIDATED = [
    {
        "canonical_campaign": "Black Friday",
        "platforms": ["meta", "google_ads"],
        "spend": 12000.0,
        "impressions": 900000,
        "clicks": 15000,
        "conversions": 300.0,
        "conversion_value": 42000.0,
        "sessions": 9000,
        "ga4_conversions": 280.0,
        "ga4_revenue": 39000.0,
        "blended_cpa": 40.0,
        "blended_roas": 3.5,
        "click_session_gap": -0.4,
        "gap_flag": True,
        "gap_explanation": "GA4 saw 40% fewer sessions than the ads' clicks: check that the "
        "landing pages keep the UTM parameters.",
    },
    {
        "canonical_campaign": "Brand Search",
        "platforms": ["google_ads"],
        "spend": 3000.0,
        "impressions": 120000,
        "clicks": 6000,
        "conversions": 150.0,
        "conversion_value": 9000.0,
        "sessions": 5900,
        "ga4_conversions": 148.0,
        "ga4_revenue": 8800.0,
        "blended_cpa": 20.0,
        "blended_roas": 3.0,
        "click_session_gap": -0.0167,
        "gap_flag": False,
        "gap_explanation": "",
    },
]


class Override(BaseModel):
    platform: str
    campaign_name: str
    canonical_campaign: str


def ml_router(day: date) -> APIRouter:
    """A router answering the three ML routes with fixed rows (anomalies on ``day``)."""
    router = APIRouter()
    campaign_map = [
        {
            "workspace": "default",
            "platform": "meta",
            "campaign_name": "BF_Prospecting_2026",
            "canonical_campaign": "Black Friday",
            "confidence": 0.72,
            "method": "auto",
            "updated_at": f"{day.isoformat()}T06:00:00",
        },
        {
            "workspace": "default",
            "platform": "google_ads",
            "campaign_name": "Black Friday - Search",
            "canonical_campaign": "Black Friday",
            "confidence": 0.91,
            "method": "auto",
            "updated_at": f"{day.isoformat()}T06:00:00",
        },
    ]

    @router.get("/anomalies")
    def anomalies(platform: str | None = None) -> dict[str, Any]:
        rows = [r for r in anomaly_rows(day) if platform in (None, r["platform"])]
        return {"data": rows}

    @router.get("/campaigns/consolidated")
    def consolidated() -> dict[str, Any]:
        return {"data": CONSOLIDATED}

    @router.get("/campaign-map")
    def get_map() -> dict[str, Any]:
        return {"data": campaign_map}

    @router.put("/campaign-map")
    def put_map(body: Override) -> dict[str, Any]:
        for row in campaign_map:
            if (row["platform"], row["campaign_name"]) == (body.platform, body.campaign_name):
                row.update(canonical_campaign=body.canonical_campaign, method="override")
                row["confidence"] = 1.0
                return row
        row = {**body.model_dump(), "workspace": "default", "confidence": 1.0}
        row.update(method="override", updated_at=f"{day.isoformat()}T06:00:00")
        campaign_map.append(row)
        return row

    return router
