"""Password hashing (argon2id) and tokens (JWT access tokens, opaque refresh tokens and API keys).

Access tokens are short-lived JWTs signed with ``SECRET_KEY`` (HS256, the only algorithm
accepted when decoding). Refresh tokens and API keys are random strings shown once; only
their SHA-256 is stored, so a copy of the app database yields no usable credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
API_KEY_PREFIX = "adl"

# OWASP ASVS / cheat-sheet argon2id parameters: 19 MiB, 2 iterations, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when an account does not exist, so a wrong name costs the same as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class InvalidTokenError(Exception):
    """A token that is malformed, expired, or not signed by this server."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; parameters stored in the hash).

    >>> hash_password("s3cret").startswith("$argon2id$")
    True
    """
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Whether ``password`` matches ``hashed``; ``None`` (no account) costs the same and fails.

    >>> verify_password("s3cret", hash_password("s3cret")), verify_password("x", None)
    (True, False)
    """
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(
    subject: str, *, secret_key: str, minutes: int, claims: dict[str, Any] | None = None
) -> str:
    """A signed JWT for ``subject`` valid for ``minutes``."""
    now = datetime.now(UTC)
    payload = {
        **(claims or {}),
        "sub": subject,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "typ": "access",
    }
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret_key: str) -> dict[str, Any]:
    """The claims of a valid access token; ``InvalidTokenError`` for anything else.

    >>> token = create_access_token("7", secret_key="k" * 32, minutes=5)
    >>> decode_access_token(token, secret_key="k" * 32)["sub"]
    '7'
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    if claims.get("typ") != "access":
        raise InvalidTokenError("not an access token")
    return claims


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy token (refresh token, API key secret), as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_refresh_token() -> str:
    """A random refresh token (256 bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewApiKey:
    """An API key as created: ``key`` is shown once, only ``key_id`` and ``digest`` are kept."""

    key_id: str
    key: str
    digest: str


def new_api_key() -> NewApiKey:
    """A new API key ``adl_<id>_<secret>``.

    >>> key = new_api_key()
    >>> key.key.startswith("adl_" + key.key_id + "_"), split_api_key(key.key)[0] == key.key_id
    (True, True)
    """
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewApiKey(key_id, f"{API_KEY_PREFIX}_{key_id}_{secret}", token_digest(secret))


def split_api_key(key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of something shaped like an API key, else ``None``."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def digest_matches(secret: str, digest: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(token_digest(secret), digest)
