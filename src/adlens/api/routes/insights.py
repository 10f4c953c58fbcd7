"""Anomalies, campaigns across platforms and the campaign map of the caller's workspace."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from adlens.anomaly import detect_store, list_anomalies
from adlens.api.deps import Require, ServicesDep, StoreDep
from adlens.api.problems import responses
from adlens.appdb.accounts import Principal
from adlens.consolidate import campaign_map, cross_platform, set_override
from adlens.core.errors import InvalidInputError

router = APIRouter(tags=["insights"])
Reader = Annotated[Principal, Depends(Require("read"))]
Querier = Annotated[Principal, Depends(Require("query", "query"))]
# Detection rewrites the workspace's anomalies and can take seconds: a write, like a load.
Detector = Annotated[Principal, Depends(Require("upload", "upload"))]
# The campaign map is the workspace's own definition of its campaigns, like custom metrics.
Mapper = Annotated[Principal, Depends(Require("metrics"))]
Platform = Literal["meta", "google_ads", "tiktok", "linkedin", "microsoft", "ga4", "generic"]
Start = Annotated[date | None, Query(description="First day (YYYY-MM-DD), inclusive.")]
End = Annotated[date | None, Query(description="Last day (YYYY-MM-DD), inclusive.")]


class Anomaly(BaseModel):
    """One incident (docs/anomalies.md); columns added to the table pass through."""

    model_config = ConfigDict(extra="allow")

    anomaly_id: int
    workspace: str
    platform: str | None
    account_id: str | None
    campaign_name: str | None
    metric: str
    period_start: str = Field(description="First day (or hour) of the incident, ISO 8601.")
    period_end: str = Field(description="Last day (or hour) of the incident, inclusive.")
    actual: float | None
    expected_low: float | None
    expected_high: float | None
    deviation: float | None = Field(description="(actual - expected) / expected")
    severity: float = Field(ge=0, le=1)
    money_at_stake: float = Field(description="In the reporting currency.")
    driver: str | None
    triage: str = Field(description="'data problem' or 'performance change'")
    explanation: str
    level: str | None = None
    kind: str | None = None
    related_metrics: str | None = None
    model_score: float | None = None
    detected_at: str = Field(description="When the detection ran, ISO 8601.")


class AnomalyList(BaseModel):
    data: list[Anomaly]


class Detection(BaseModel):
    data: list[Anomaly]
    count: int


class Campaign(BaseModel):
    """One canonical campaign (and day with ``by_day``) across platforms and GA4."""

    model_config = ConfigDict(extra="allow")

    canonical_campaign: str
    date: str | None = Field(None, description="The day (only with `by_day=true`).")
    platforms: list[str]
    spend: float
    impressions: int
    clicks: int
    conversions: float
    conversion_value: float
    sessions: int
    ga4_conversions: float
    ga4_revenue: float
    blended_cpa: float | None
    blended_roas: float | None
    click_session_gap: float | None = Field(description="sessions / clicks - 1")
    gap_flag: bool
    gap_explanation: str


class CampaignList(BaseModel):
    data: list[Campaign]


class MapRow(BaseModel):
    """A raw campaign name and the canonical campaign it counts under."""

    model_config = ConfigDict(extra="allow")

    workspace: str
    platform: str
    campaign_name: str
    canonical_campaign: str
    confidence: float = Field(ge=0, le=1)
    method: str = Field(description="'auto' or 'override'")
    updated_at: str = Field(description="ISO 8601.")


class MapList(BaseModel):
    data: list[MapRow]


class Override(BaseModel):
    platform: str = Field(
        max_length=40, description="meta, google_ads, tiktok, linkedin, microsoft, ga4, generic"
    )
    campaign_name: str = Field(max_length=1000, description="The raw name as stored.")
    canonical_campaign: str = Field(max_length=500, description="The campaign it belongs to.")


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their timestamps as ISO 8601 text (as ``GET /ingests`` writes them)."""
    return [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()} for row in rows
    ]


def _period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise InvalidInputError(
            f"start {start} is after end {end}",
            hint="give the first day as start and the last day as end",
            where={"field": "start"},
        )


@router.get(
    "/anomalies",
    response_model=AnomalyList,
    responses=responses(400, 401, 403, 422, 429),
    summary="Stored anomalies of the workspace, most severe first",
)
def get_anomalies(
    principal: Reader,
    store: StoreDep,
    start: Start = None,
    end: End = None,
    platform: Annotated[Platform | None, Query()] = None,
) -> dict[str, Any]:
    """Incidents overlapping ``start``..``end`` (of ``platform``), as the last detection
    found them (``POST /anomalies/detect``, ``adlens detect`` or detection after loads)."""
    _period(start, end)
    return {"data": _jsonable(list_anomalies(store, principal.workspace, start, end, platform))}


@router.post(
    "/anomalies/detect",
    response_model=Detection,
    responses=responses(401, 403, 422, 429),
    summary="Run anomaly detection over the workspace's data",
)
def detect(
    principal: Detector,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=3660, description="Days to report on.")] = 90,
) -> dict[str, Any]:
    """Scan the last ``days`` days and replace the workspace's anomalies with what is found
    (seconds on a large store; one write at a time)."""
    with services.writing() as store:
        incidents = detect_store(
            store,
            principal.workspace,
            days=days,
            currency=services.settings.reporting_currency,
        )
    return {"data": _jsonable(incidents), "count": len(incidents)}


@router.get(
    "/campaigns/consolidated",
    response_model=CampaignList,
    response_model_exclude_unset=True,
    responses=responses(400, 401, 403, 422, 429),
    summary="Spend next to GA4 outcomes per canonical campaign",
)
def consolidated(
    principal: Querier,
    store: StoreDep,
    start: Start = None,
    end: End = None,
    by_day: Annotated[bool, Query(description="One row per campaign and day.")] = False,
) -> dict[str, Any]:
    """Blended CPA and ROAS, and the reconciliation of ad clicks with GA4 sessions, per
    canonical campaign of the campaign map (docs/campaigns.md)."""
    _period(start, end)
    return {"data": cross_platform(store, principal.workspace, start, end, by_day=by_day)}


@router.get(
    "/campaign-map",
    response_model=MapList,
    responses=responses(401, 403, 429),
    summary="Raw campaign names and their canonical campaigns",
)
def get_campaign_map(principal: Reader, store: StoreDep) -> dict[str, Any]:
    """Every mapped name of the workspace, by canonical campaign."""
    return {"data": _jsonable(campaign_map(store, principal.workspace))}


@router.put(
    "/campaign-map",
    response_model=MapRow,
    responses=responses(400, 401, 403, 413, 422, 429),
    summary="Map one raw campaign name to a canonical campaign (an override)",
)
def put_campaign_map(body: Override, principal: Mapper, services: ServicesDep) -> dict[str, Any]:
    """The override wins over the automatic matching on every later load and rebuild. A
    name not loaded yet may be mapped ahead of its first load."""
    with services.writing() as store:
        row = set_override(
            store, principal.workspace, body.platform, body.campaign_name, body.canonical_campaign
        )
    return _jsonable([row])[0]
