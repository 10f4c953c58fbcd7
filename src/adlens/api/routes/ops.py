"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adlens.api.deps import Public, ServicesDep
from adlens.api.problems import responses
from adlens.store.db import SCHEMA_VERSION

router = APIRouter(tags=["operations"])


@router.get("/health", dependencies=[Depends(Public(None))], summary="Liveness")
def health() -> dict[str, str]:
    """The process answers (nothing else is checked)."""
    return {"status": "ok"}


@router.get(
    "/ready",
    dependencies=[Depends(Public(None))],
    responses=responses(503),
    summary="Readiness: store and app database reachable, migrations applied",
)
def ready(services: ServicesDep) -> Any:
    """200 when the store answers at its schema version and the app database is migrated."""
    checks: dict[str, bool] = {}
    try:
        with services.reading() as store:
            checks["store"] = store.schema_version >= SCHEMA_VERSION
    except Exception:  # any failure means not ready; the reason is in the logs
        checks["store"] = False
    checks["app_db"] = services.app_db.is_ready()
    ok = all(checks.values())
    body = {"status": "ready" if ok else "not ready", "checks": checks}
    if ok:
        return body
    return JSONResponse(
        {
            "type": "https://adlens.dev/errors/not_ready",
            "title": "service unavailable",
            "status": 503,
            "detail": "not ready: " + ", ".join(k for k, v in checks.items() if not v),
            "code": "not_ready",
            "checks": checks,
        },
        status_code=503,
        media_type="application/problem+json",
    )


@router.get(
    "/metrics",
    dependencies=[Depends(Public(None))],
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
    summary="Prometheus metrics",
)
def metrics(services: ServicesDep) -> Response:
    """Request counts and latencies, cache hits and misses, ingest rows, query latency."""
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
