"""Administration of the caller's workspace: users, API keys, the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from adlens.api.deps import Require, ServicesDep
from adlens.api.problems import responses
from adlens.appdb import accounts
from adlens.appdb.accounts import Principal
from adlens.appdb.models import ApiKey, AuditRecord, User
from adlens.core import security
from adlens.core.errors import InvalidInputError
from adlens.errors import NotFoundError

router = APIRouter(tags=["admin"])
Admin = Annotated[Principal, Depends(Require("admin"))]
Role = Literal["viewer", "analyst", "admin"]
ROLE_RANK = {"viewer": 0, "analyst": 1, "admin": 2}


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    workspace: str
    is_active: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(min_length=8, max_length=1000)
    role: Role = "viewer"


class UserUpdate(BaseModel):
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=1000)


class KeyOut(BaseModel):
    key_id: str
    name: str
    role: str
    scopes: list[str]
    workspace: str
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = "viewer"
    scopes: list[Literal["read", "query", "upload", "metrics", "admin"]] | None = None
    expires_at: datetime | None = None


class KeyCreated(KeyOut):
    key: str = Field(description="The API key; shown this once, never again.")


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def _key_out(key: ApiKey) -> dict[str, Any]:
    return KeyOut.model_validate(key, from_attributes=True).model_dump()


@router.get(
    "/users",
    response_model=list[UserOut],
    responses=responses(401, 403, 429),
    summary="Users of the workspace",
)
def list_users(principal: Admin, services: ServicesDep) -> list[UserOut]:
    """Every user of the caller's workspace."""
    with services.app_db.session() as session:
        users = session.scalars(
            select(User).where(User.workspace == principal.workspace).order_by(User.id)
        ).all()
        return [_user_out(u) for u in users]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    responses=responses(400, 401, 403, 409, 413, 422, 429),
    summary="Create a user in the workspace",
)
def create_user(body: UserCreate, principal: Admin, services: ServicesDep) -> UserOut:
    """A new user of the caller's workspace (the password is stored as an argon2id hash)."""
    with services.app_db.session() as session:
        user = accounts.create_user(
            session,
            body.username,
            body.password,
            role=body.role,
            workspace=principal.workspace,
        )
        return _user_out(user)


@router.patch(
    "/users/{username}",
    response_model=UserOut,
    responses=responses(400, 401, 403, 404, 413, 422, 429),
    summary="Change a user's role, password or active flag",
)
def update_user(
    username: Annotated[str, PathParam(max_length=64)],
    body: UserUpdate,
    principal: Admin,
    services: ServicesDep,
) -> UserOut:
    """Deactivating a user or changing the password ends their refresh tokens' use."""
    with services.app_db.session() as session:
        user = session.scalar(
            select(User).where(User.username == username, User.workspace == principal.workspace)
        )
        if user is None:
            raise NotFoundError(f"no user {username!r} in this workspace")
        if user.username == principal.name and (
            body.role not in (None, "admin") or body.is_active is False
        ):
            raise InvalidInputError("admins cannot demote or deactivate themselves")
        if body.role is not None:
            user.role = body.role
        if body.is_active is not None:
            user.is_active = body.is_active
        if body.password is not None:
            user.password_hash = security.hash_password(body.password)
        return _user_out(user)


@router.get(
    "/keys",
    response_model=list[KeyOut],
    responses=responses(401, 403, 429),
    summary="API keys of the workspace",
)
def list_keys(principal: Admin, services: ServicesDep) -> list[dict[str, Any]]:
    """Every API key of the caller's workspace (never the key itself)."""
    with services.app_db.session() as session:
        keys = session.scalars(
            select(ApiKey).where(ApiKey.workspace == principal.workspace).order_by(ApiKey.id)
        ).all()
        return [_key_out(k) for k in keys]


@router.post(
    "/keys",
    response_model=KeyCreated,
    status_code=201,
    responses=responses(400, 401, 403, 413, 422, 429),
    summary="Create an API key (shown once)",
)
def create_key(body: KeyCreate, principal: Admin, services: ServicesDep) -> dict[str, Any]:
    """A key of the caller's workspace with a role, optional narrower scopes and expiry."""
    with services.app_db.session() as session:
        row, key = accounts.create_api_key(
            session,
            body.name,
            role=body.role,
            workspace=principal.workspace,
            scopes=list(body.scopes) if body.scopes else None,
            expires_at=body.expires_at,
            created_by=principal.name,
        )
        return {**_key_out(row), "key": key}


@router.delete(
    "/keys/{key_id}",
    response_model=KeyOut,
    responses=responses(401, 403, 404, 422, 429),
    summary="Revoke an API key",
)
def revoke_key(
    key_id: Annotated[str, PathParam(max_length=32)], principal: Admin, services: ServicesDep
) -> dict[str, Any]:
    """The key stops working at once; its record stays for the audit trail."""
    with services.app_db.session() as session:
        return _key_out(accounts.revoke_api_key(session, key_id, workspace=principal.workspace))


class AuditPage(BaseModel):
    data: list[dict[str, Any]]
    total: int


@router.get(
    "/audit",
    response_model=AuditPage,
    responses=responses(401, 403, 422, 429),
    summary="The workspace's audit log, newest first",
)
def audit(
    principal: Admin,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    principal_name: Annotated[str | None, Query(alias="principal", max_length=100)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
) -> AuditPage:
    """Requests made with the workspace's credentials (time, principal, route, status...)."""
    services.audit.flush()
    where = [AuditRecord.workspace == principal.workspace]
    if principal_name:
        where.append(AuditRecord.principal == principal_name)
    if status is not None:
        where.append(AuditRecord.status == status)
    with services.app_db.session() as session:
        total = session.scalar(select(func.count()).select_from(AuditRecord).where(*where))
        rows = session.scalars(
            select(AuditRecord)
            .where(*where)
            .order_by(AuditRecord.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        data = [
            {
                "at": r.at.isoformat(),
                "request_id": r.request_id,
                "principal": r.principal,
                "workspace": r.workspace,
                "method": r.method,
                "route": r.route,
                "status": r.status,
                "latency_ms": r.latency_ms,
                "client_ip": r.client_ip,
            }
            for r in rows
        ]
    return AuditPage(data=data, total=int(total or 0))
