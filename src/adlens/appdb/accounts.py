"""Users, API keys and refresh tokens: create, authenticate, rotate, revoke.

Roles grant scopes; a route asks for one scope. An API key carries a role no higher than
its creator's and, optionally, fewer scopes than that role grants.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from adlens.appdb.models import ROLES, ApiKey, RefreshToken, User, as_utc, utcnow
from adlens.core import security
from adlens.core.errors import AuthenticationError, ConflictError, InvalidInputError
from adlens.errors import NotFoundError

SCOPES = ("read", "query", "upload", "metrics", "admin")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read", "query"}),
    "analyst": frozenset({"read", "query", "upload", "metrics"}),
    "admin": frozenset(SCOPES),
}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
WORKSPACE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MIN_PASSWORD = 8
BAD_CREDENTIALS = "incorrect username or password"
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass
class TokenReusedError(AuthenticationError):
    """A spent refresh token presented again; ``family`` is the login to revoke."""

    code: str = "token_reused"
    family: str = field(default="", repr=False)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (by access token) or an API key."""

    kind: str  # "user" or "key"
    name: str  # username, or "key:<key_id>"
    role: str
    workspace: str
    scopes: frozenset[str]
    user_id: int | None = None
    currency: str | None = None
    locale: str = "en-US"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def check_role(role: str) -> str:
    """``role`` if it is one of viewer, analyst, admin."""
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def check_workspace(workspace: str) -> str:
    """``workspace`` if it is a valid workspace name (lower-case letters, digits, _ and -)."""
    if not WORKSPACE.fullmatch(workspace):
        raise InvalidInputError(
            f"workspace {workspace!r} is not allowed: use lower-case letters, digits, _ and -"
        )
    return workspace


def create_user(
    session: Session, username: str, password: str, *, role: str, workspace: str
) -> User:
    """Store a new user with an argon2id hash of ``password``."""
    if not NAME.fullmatch(username):
        raise InvalidInputError(
            f"username {username!r} is not allowed: letters, digits, _ . @ - (at most 64)"
        )
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"the password needs at least {MIN_PASSWORD} characters")
    check_role(role)
    check_workspace(workspace)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} exists already")
    user = User(
        username=username,
        password_hash=security.hash_password(password),
        role=role,
        workspace=workspace,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password; the same error for every failure."""
    user = session.scalar(select(User).where(User.username == username))
    ok = security.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise AuthenticationError(BAD_CREDENTIALS, code="invalid_credentials")
    return user


def principal_of_user_id(con: Session | Connection, user_id: int) -> Principal | None:
    """The principal of an active user, read with one plain query (every request does it)."""
    row = con.execute(
        select(User.id, User.username, User.role, User.workspace, User.currency, User.locale).where(
            User.id == user_id, User.is_active.is_(True)
        )
    ).first()
    if row is None:
        return None
    return Principal(
        "user",
        row.username,
        row.role,
        row.workspace,
        ROLE_SCOPES[row.role],
        user_id=row.id,
        currency=row.currency,
        locale=row.locale,
    )


def user_principal(user: User) -> Principal:
    """The principal a user's access token stands for."""
    return Principal(
        "user",
        user.username,
        user.role,
        user.workspace,
        ROLE_SCOPES[user.role],
        user_id=user.id,
        currency=user.currency,
        locale=user.locale,
    )


# --- refresh tokens --------------------------------------------------------------------------


def issue_refresh_token(
    session: Session, user: User, *, days: int, family: str | None = None
) -> str:
    """A new refresh token for ``user`` (a new family at login, the same one on rotation)."""
    token = security.new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family=family or secrets.token_hex(16),
            digest=security.token_digest(token),
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    return token


def rotate_refresh_token(session: Session, token: str, *, days: int) -> tuple[User, str]:
    """Spend ``token`` and return its user with a new token of the same family.

    A token used twice means it was copied: ``TokenReusedError`` names the family, which
    the caller revokes (in its own transaction), so both the thief and the rightful client
    must log in again.
    """
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.digest == security.token_digest(token))
    )
    invalid = AuthenticationError("refresh token is invalid or expired", code="invalid_token")
    if row is None:
        raise invalid
    if row.used_at is not None or row.revoked_at is not None:
        raise TokenReusedError(
            "refresh token was already used; every session of this login is revoked",
            hint="log in again",
            family=row.family,
        )
    user = session.get(User, row.user_id)
    if as_utc(row.expires_at) <= utcnow() or user is None or not user.is_active:
        raise invalid
    row.used_at = utcnow()
    return user, issue_refresh_token(session, user, days=days, family=row.family)


def revoke_refresh_token(session: Session, token: str) -> None:
    """Log out: revoke the token's family (unknown tokens are ignored)."""
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.digest == security.token_digest(token))
    )
    if row is not None:
        revoke_family(session, row.family)


def revoke_family(session: Session, family: str) -> None:
    """Revoke every refresh token of a login."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- API keys --------------------------------------------------------------------------------


def create_api_key(
    session: Session,
    name: str,
    *,
    role: str,
    workspace: str,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new API key; returns the row and the key itself (shown once, never stored)."""
    check_role(role)
    check_workspace(workspace)
    allowed = ROLE_SCOPES[role]
    chosen = sorted(allowed) if not scopes else sorted(set(scopes))
    extra = [s for s in chosen if s not in allowed]
    if extra:
        raise InvalidInputError(
            f"scopes {', '.join(extra)} are not granted to role {role!r}; "
            f"it grants {', '.join(sorted(allowed))}"
        )
    if expires_at is not None and as_utc(expires_at) <= utcnow():
        raise InvalidInputError("expires_at is in the past")
    new = security.new_api_key()
    row = ApiKey(
        key_id=new.key_id,
        digest=new.digest,
        name=name[:100],
        role=role,
        scopes=chosen,
        workspace=workspace,
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, new.key


def key_principal(session: Session, key: str) -> Principal:
    """The principal of a presented API key; one error for unknown, wrong, expired, revoked."""
    invalid = AuthenticationError("API key is invalid, expired or revoked", code="invalid_token")
    parts = security.split_api_key(key)
    if parts is None:
        raise invalid
    row = session.scalar(select(ApiKey).where(ApiKey.key_id == parts[0]))
    if row is None or not security.digest_matches(parts[1], row.digest):
        raise invalid
    if row.revoked_at is not None or (
        row.expires_at is not None and as_utc(row.expires_at) <= utcnow()
    ):
        raise invalid
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) > LAST_USED_EVERY:
        row.last_used_at = now  # at most once a minute: not a write per request
    return Principal("key", f"key:{row.key_id}", row.role, row.workspace, frozenset(row.scopes))


def revoke_api_key(session: Session, key_id: str, *, workspace: str) -> ApiKey:
    """Revoke a key of ``workspace`` (a key of another workspace is not found)."""
    row = session.scalar(
        select(ApiKey).where(ApiKey.key_id == key_id, ApiKey.workspace == workspace)
    )
    if row is None:
        raise NotFoundError(f"no API key {key_id!r} in this workspace")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row
