"""The app factory: settings -> services -> routers, middleware and error handlers."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from adlens import __version__
from adlens.api import problems
from adlens.api.middleware import RequestMiddleware
from adlens.api.routes import admin, auth, data, insights, metric_defs, ops, query
from adlens.api.services import Services, start_services
from adlens.settings import Settings, get_settings

ROUTERS = (
    ops.router,
    auth.router,
    data.router,
    query.router,
    metric_defs.router,
    insights.router,
    admin.router,
)
DESCRIPTION = """Load ad-platform and GA4 exports, and query the unified data.

Authenticate with `POST /auth/token` and send `Authorization: Bearer <access_token>`, or an
API key as `Authorization: Bearer adl_...` or `X-API-Key: adl_...`. Every error is a
problem+json document (`type`, `title`, `status`, `detail`, `code`, `hint`, `request_id`).
"""


def create_app(
    settings: Settings | None = None,
    *,
    routers: Iterable[APIRouter] = (),
    services: Services | None = None,
    web: bool = True,
) -> FastAPI:
    """Build the API over the store and app database the settings name.

    The store is opened here, once, for the process's lifetime (one process owns a DuckDB
    file). Extra ``routers`` are included after the API's own; with ``web`` the dashboard
    package (``adlens.web``) registers itself when it is installed.
    """
    settings = settings or get_settings()
    owned = services is None  # services passed in are closed by whoever opened them
    services = services or start_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            services.close()

    app = FastAPI(
        title="adlens",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services
    problems.install(app)
    for router in (*ROUTERS, *routers):
        app.include_router(router)
    if web:
        _register_web(app)
    app.add_middleware(
        RequestMiddleware,
        metrics=services.metrics,
        audit=services.audit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_json_depth=settings.max_json_depth,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=[
                "X-Request-ID",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
            ],
        )
    return app


def _register_web(app: FastAPI) -> None:
    """Let the dashboard (``adlens.web``) add its routes under ``/`` when it is installed."""
    if importlib.util.find_spec("adlens.web") is None:
        return
    web = importlib.import_module("adlens.web")
    if hasattr(web, "register"):
        web.register(app)
    elif hasattr(web, "router"):
        app.include_router(web.router)
