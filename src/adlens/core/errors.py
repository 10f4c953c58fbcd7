"""Errors of the HTTP API and account administration (part of the ``AdlensError`` hierarchy)."""

from __future__ import annotations

from dataclasses import dataclass

from adlens.errors import AdlensError


@dataclass
class AuthenticationError(AdlensError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    status: int = 401
    code: str = "not_authenticated"


@dataclass
class PermissionDeniedError(AdlensError):
    """The principal is known but its role or key scopes do not allow this."""

    status: int = 403
    code: str = "forbidden"


@dataclass
class ConflictError(AdlensError):
    """The object exists already (a username taken, ...)."""

    status: int = 409
    code: str = "conflict"


@dataclass
class InvalidInputError(AdlensError):
    """A request that is well-formed JSON but says something we refuse."""

    status: int = 400
    code: str = "invalid_input"


@dataclass
class PayloadTooLargeError(AdlensError):
    """A body or file over the configured limit."""

    status: int = 413
    code: str = "payload_too_large"


@dataclass
class RateLimitedError(AdlensError):
    """Too many requests; ``retry_after`` seconds until the next one is allowed."""

    status: int = 429
    code: str = "rate_limited"
    retry_after: int = 1
