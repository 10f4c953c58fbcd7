"""Queries (both shapes), the semantic layer's catalogue, the data version and its events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adlens.api.deps import Require, ServicesDep, StoreDep
from adlens.api.problems import responses
from adlens.api.services import Services
from adlens.appdb.accounts import Principal
from adlens.query import QueryError, list_metrics, run_query
from adlens.query.semantic import BUILTIN_MEASURES, DIMENSIONS, TIME_DIMENSION
from adlens.query.timerange import GRANULARITIES, WEEKDAYS
from adlens.store import Store

router = APIRouter(tags=["query"])
Querier = Annotated[Principal, Depends(Require("query", "query"))]
Reader = Annotated[Principal, Depends(Require("read"))]

SPEC_EXAMPLE = {
    "metrics": [
        {
            "name": "total_spend",
            "data_type": "meta_ads",
            "dimensions": ["campaign_name"],
            "aggregation_type": "sum",
        }
    ],
    "time_range": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-31T23:59:59Z"},
    "granularity": 86400,
}
CUBE_EXAMPLE = {
    "measures": ["spend", "ctr", "roas"],
    "dimensions": ["platform"],
    "timeDimensions": [{"dimension": "ts", "granularity": "day", "dateRange": "last 7 days"}],
    "order": {"spend": "desc"},
    "limit": 20,
}


class QueryResponse(BaseModel):
    data: list[dict[str, Any]]
    metadata: dict[str, Any] = Field(
        description="query_time (s), data_version, last_load, rollup, cache {hit, level}, ..."
    )


class Version(BaseModel):
    data_version: int
    last_load_at: str | None


def _answer(
    services: Services, store: Store, principal: Principal, request: dict[str, Any], shape: str
) -> QueryResponse:
    if shape == "spec" and "metrics" not in request:
        raise QueryError(
            "a dashboard query needs `metrics`",
            where={"field": "metrics"},
            hint="POST /v1/load takes the Cube shape (`measures`)",
        )
    if shape == "cube" and "metrics" in request:
        raise QueryError(
            "POST /v1/load takes the Cube shape (`measures`), not `metrics`",
            hint="POST /query/dashboard takes `metrics`",
        )
    result = run_query(store, request, workspace=principal.workspace, cache=services.cache)
    services.metrics.observe_query(result.metadata)
    return QueryResponse(data=result.data, metadata=result.metadata)


@router.post(
    "/query/dashboard",
    response_model=QueryResponse,
    responses=responses(400, 401, 403, 413, 422, 429),
    summary="Dashboard query (the original spec's shape)",
)
def query_dashboard(
    principal: Querier,
    services: ServicesDep,
    store: StoreDep,
    request: Annotated[dict[str, Any], Body(examples=[SPEC_EXAMPLE])],
) -> QueryResponse:
    """``metrics`` / ``time_range`` / ``granularity`` (seconds), answered over the caller's
    workspace; ``metadata.query_time`` is in seconds. See docs/query.md."""
    return _answer(services, store, principal, request, "spec")


@router.post(
    "/v1/load",
    response_model=QueryResponse,
    responses=responses(400, 401, 403, 413, 422, 429),
    summary="Cube-style query",
)
def load(
    principal: Querier,
    services: ServicesDep,
    store: StoreDep,
    query: Annotated[dict[str, Any], Body(examples=[CUBE_EXAMPLE])],
) -> QueryResponse:
    """``measures``, ``dimensions``, ``timeDimensions``, ``filters``, ``order``, ``limit``,
    ``offset``, ``timezone``, ``weekStart``, ``compare``, ``share`` over the caller's
    workspace."""
    return _answer(services, store, principal, query, "cube")


@router.get(
    "/v1/meta",
    responses=responses(401, 403, 429),
    summary="Measures, dimensions and granularities a query may name",
)
def meta(principal: Reader, store: StoreDep) -> dict[str, Any]:
    """The catalogue: built-in and the workspace's custom measures, dimensions, granularities,
    and the days weeks may start on."""
    measures = [
        {
            "name": m.name,
            "title": m.name.replace("_", " ").upper()
            if len(m.name) <= 4
            else m.name.replace("_", " ").capitalize(),
            "format": m.format,
            "description": m.description,
            "table": m.table,
            "kind": m.kind,
        }
        for m in BUILTIN_MEASURES.values()
    ]
    measures += [
        {
            "name": c.name,
            "title": c.name.replace("_", " ").capitalize(),
            "format": c.format,
            "description": c.description or c.expression,
            "table": c.table,
            "kind": "custom",
            "expression": c.expression,
        }
        for c in list_metrics(store, principal.workspace)
    ]
    dimensions = [
        {
            "name": d.name,
            "title": d.name.replace("_", " ").capitalize(),
            "type": "string",
            "description": d.description,
            "tables": sorted(d.columns),
        }
        for d in DIMENSIONS.values()
    ]
    dimensions.append(
        {
            "name": TIME_DIMENSION,
            "title": "Time",
            "type": "time",
            "description": "the time dimension (bucket it with a granularity)",
            "tables": ["ad_performance", "sessions"],
        }
    )
    granularities = [{"name": g.name, "seconds": g.seconds} for g in GRANULARITIES.values()]
    return {
        "measures": measures,
        "dimensions": dimensions,
        "granularities": granularities,
        # the days a query's weekStart may name (weeks start on the first by default)
        "week_starts": list(WEEKDAYS),
    }


def _version(store: Store, workspace: str) -> Version:
    version = store.data_version(workspace)  # first: a load's time is never older than it
    last = store.last_load_at(workspace)
    return Version(
        data_version=version,
        last_load_at=last.isoformat() if last is not None else None,
    )


@router.get(
    "/v1/version",
    response_model=Version,
    responses=responses(401, 403, 429),
    summary="The workspace's data version (cheap; poll it)",
)
def version(principal: Reader, store: StoreDep) -> Version:
    """Grows with every load into the workspace; ``last_load_at`` is ISO 8601 or null."""
    return _version(store, principal.workspace)


@router.get(
    "/v1/events",
    responses={
        **responses(401, 403, 429),
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
    },
    response_class=StreamingResponse,
    summary="Server-sent events: `version` each time the data version changes",
)
async def events(principal: Reader, services: ServicesDep, request: Request) -> StreamingResponse:
    """One ``version`` event at once, then one each time a load changes the data version."""

    def current() -> Version:
        with services.reading() as store:
            return _version(store, principal.workspace)

    async def stream() -> AsyncIterator[str]:
        last: int | None = None
        while not await request.is_disconnected():
            now = await run_in_threadpool(current)
            if now.data_version != last:
                last = now.data_version
                yield f"event: version\ndata: {json.dumps(now.model_dump())}\n\n"
            else:
                yield ": keep-alive\n\n"
            await asyncio.sleep(services.settings.events_poll_seconds)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )
