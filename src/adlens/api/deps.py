"""Turning a request's credentials into a principal, and the rules routes declare.

Every route names one scope with ``Depends(Require("query"))`` (or ``Public()`` for the
few open routes): the principal must hold the scope, and the request spends a token of
the route's rate class, per principal and per client IP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from adlens.api.ratelimit import Decision
from adlens.api.services import Services
from adlens.appdb import accounts
from adlens.appdb.accounts import Principal
from adlens.core import security
from adlens.core.errors import AuthenticationError, PermissionDeniedError, RateLimitedError
from adlens.store import Store

bearer = HTTPBearer(auto_error=False, description="An access token or an API key.")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def get_services(request: Request) -> Services:
    """The app's services."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_ip(request: Request) -> str:
    """The peer address (uvicorn's ``--proxy-headers`` makes it the forwarded client)."""
    return request.client.host if request.client else "unknown"


def get_principal(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """The caller, from ``Authorization: Bearer`` (access token or API key) or ``X-API-Key``."""
    token = api_key or (credentials.credentials if credentials else None)
    if not token:
        raise AuthenticationError(
            "this route needs credentials",
            hint="send Authorization: Bearer <access token or API key>, or X-API-Key",
        )
    if security.split_api_key(token) is not None:
        with services.app_db.session() as session:
            principal = accounts.key_principal(session, token)
    else:
        principal = _token_principal(services, token)
    request.state.principal = principal
    return principal


def _token_principal(services: Services, token: str) -> Principal:
    try:
        claims = security.decode_access_token(token, secret_key=services.settings.secret_key)
        user_id = int(claims["sub"])
    except (security.InvalidTokenError, ValueError) as exc:
        raise AuthenticationError(
            "access token is invalid or expired",
            hint="get a new one from POST /auth/token or POST /auth/refresh",
            code="invalid_token",
        ) from exc
    with services.app_db.engine.connect() as con:  # a plain read: no ORM session needed
        principal = accounts.principal_of_user_id(con, user_id)
    if principal is None:
        raise AuthenticationError("access token is invalid or expired", code="invalid_token")
    return principal


def spend(services: Services, response: Response, rate_class: str, *keys: str) -> None:
    """Spend one token from each bucket; 429 when any is empty, ``RateLimit-*`` headers else."""
    rate = services.rates[rate_class]
    tightest: Decision | None = None
    for key in keys:
        decision = services.limiter.hit(f"{rate_class}:{key}", rate)
        if not decision.allowed:
            raise RateLimitedError(
                f"too many requests; try again in {decision.retry_after} s",
                hint=f"the limit is {rate.capacity} requests per {int(rate.period)} s",
                retry_after=max(1, decision.retry_after),
            )
        if tightest is None or decision.remaining < tightest.remaining:
            tightest = decision
    if tightest is not None:
        response.headers["RateLimit-Limit"] = str(tightest.limit)
        response.headers["RateLimit-Remaining"] = str(tightest.remaining)
        response.headers["RateLimit-Reset"] = str(tightest.reset)


class Require:
    """A route rule: the scope a principal needs and the rate class the route spends from."""

    def __init__(self, scope: str, rate_class: str = "default") -> None:
        self.scope = scope
        self.rate_class = rate_class

    def __call__(
        self,
        request: Request,
        response: Response,
        services: ServicesDep,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> Principal:
        spend(
            services,
            response,
            self.rate_class,
            f"p:{principal.name}",
            f"ip:{client_ip(request)}",
        )
        if not principal.allows(self.scope):
            raise PermissionDeniedError(
                f"{principal.role} {'API key' if principal.kind == 'key' else 'user'} "
                f"may not do this (needs the {self.scope!r} scope)",
                hint="ask an admin for a role or key that grants it",
            )
        return principal


class Public:
    """A route rule for open routes: no credentials; a rate limit per client IP unless
    ``rate_class`` is None (health checks and metrics scrapes)."""

    scope = None

    def __init__(self, rate_class: str | None = "default") -> None:
        self.rate_class = rate_class

    def __call__(self, request: Request, response: Response, services: ServicesDep) -> None:
        if self.rate_class is not None:
            spend(services, response, self.rate_class, f"ip:{client_ip(request)}")


def reading_store(services: ServicesDep) -> Iterator[Store]:
    """The store on a cursor of its own for this request."""
    with services.reading() as store:
        yield store


StoreDep = Annotated[Store, Depends(reading_store)]
