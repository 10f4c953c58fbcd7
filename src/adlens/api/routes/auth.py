"""Logging in: access tokens, rotating refresh tokens, logout, and who am I."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from adlens.api.deps import Public, Require, ServicesDep, client_ip
from adlens.api.problems import responses
from adlens.api.ratelimit import Rate
from adlens.api.services import Services
from adlens.appdb import accounts
from adlens.appdb.accounts import Principal
from adlens.appdb.models import User
from adlens.core import security
from adlens.core.errors import AuthenticationError, RateLimitedError

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid.")


class Me(BaseModel):
    username: str
    role: Literal["viewer", "analyst", "admin"]
    workspace: str
    currency: str
    locale: str
    kind: Literal["user", "key"]
    scopes: list[str]


def _pair(services: Services, user: User, refresh_token: str) -> TokenPair:
    minutes = services.settings.access_token_expire_minutes
    return TokenPair(
        access_token=security.create_access_token(
            str(user.id),
            secret_key=services.settings.secret_key,
            minutes=minutes,
            claims={"ws": user.workspace},
        ),
        refresh_token=refresh_token,
        expires_in=minutes * 60,
    )


@router.post(
    "/auth/token",
    response_model=TokenPair,
    dependencies=[Depends(Public("auth"))],
    responses=responses(401, 413, 422, 429),
    summary="Log in with a username and password",
)
def login(body: LoginRequest, request: Request, services: ServicesDep) -> TokenPair:
    """Exchange a username and password for an access token and a refresh token.

    Unknown users and wrong passwords get the same answer, in about the same time. Failed
    attempts are throttled per account (``ADLENS_LOGIN_MAX_FAILURES`` per
    ``ADLENS_LOGIN_LOCKOUT_SECONDS``; five times that per client IP), and every call is
    rate-limited per client IP.
    """
    settings = services.settings
    failures = Rate(settings.login_max_failures, float(settings.login_lockout_seconds))
    # one address may hold many accounts (an office behind NAT): a larger budget per IP
    ip_failures = Rate(5 * settings.login_max_failures, float(settings.login_lockout_seconds))
    account = f"login:{body.username.lower()}"
    address = f"login-ip:{client_ip(request)}"
    for key, rate in ((account, failures), (address, ip_failures)):
        peek = services.limiter.hit(key, rate, cost=0)
        if not peek.allowed:
            raise RateLimitedError(
                "too many failed logins; try again later",
                retry_after=max(1, peek.retry_after),
            )
    try:
        with services.app_db.session() as session:
            user = accounts.authenticate(session, body.username, body.password)
            token = accounts.issue_refresh_token(
                session, user, days=settings.refresh_token_expire_days
            )
    except AuthenticationError:
        services.limiter.hit(account, failures)
        services.limiter.hit(address, ip_failures)
        raise
    return _pair(services, user, token)


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    dependencies=[Depends(Public("auth"))],
    responses=responses(401, 413, 422, 429),
    summary="Trade a refresh token for a new pair",
)
def refresh(body: RefreshRequest, services: ServicesDep) -> TokenPair:
    """Rotate: the refresh token is spent and a new one returned with a new access token.

    Presenting a spent refresh token again revokes every token of that login.
    """
    try:
        with services.app_db.session() as session:
            user, token = accounts.rotate_refresh_token(
                session, body.refresh_token, days=services.settings.refresh_token_expire_days
            )
    except accounts.TokenReusedError as exc:
        with services.app_db.session() as session:
            accounts.revoke_family(session, exc.family)
        raise
    return _pair(services, user, token)


@router.post(
    "/auth/logout",
    status_code=204,
    dependencies=[Depends(Public("auth"))],
    responses=responses(413, 422, 429),
    summary="Revoke a refresh token and its family",
)
def logout(body: RefreshRequest, services: ServicesDep) -> Response:
    """Revoke the refresh token (and every token rotated from the same login)."""
    with services.app_db.session() as session:
        accounts.revoke_refresh_token(session, body.refresh_token)
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=Me,
    responses=responses(401, 403, 429),
    summary="Who the credentials belong to",
)
def me(principal: Annotated[Principal, Depends(Require("read"))], services: ServicesDep) -> Me:
    """The caller's name, role, workspace and display preferences."""
    return Me(
        username=principal.name,
        role=principal.role,
        workspace=principal.workspace,
        currency=principal.currency or services.settings.reporting_currency,
        locale=principal.locale,
        kind=principal.kind,
        scopes=sorted(principal.scopes),
    )
