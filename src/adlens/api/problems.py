"""One error shape everywhere: RFC 9457 problem+json, for adlens errors and HTTP errors alike."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from adlens.core.errors import RateLimitedError
from adlens.errors import AdlensError

log = logging.getLogger("adlens.api")
MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "bad request",
    401: "not authenticated",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "payload too large",
    415: "unsupported media type",
    422: "invalid request",
    429: "rate limited",
    500: "internal error",
    503: "service unavailable",
}


class Problem(BaseModel):
    """An error response (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    hint: str | None = None
    request_id: str | None = None


def problem(status: int, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """A problem document for an HTTP status."""
    return {
        "type": f"https://adlens.dev/errors/{code}",
        "title": TITLES.get(status, code.replace("_", " ")),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(
    body: dict[str, Any], request_id: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON response with the problem media type."""
    if request_id:
        body = {**body, "request_id": request_id}
    return JSONResponse(body, status_code=body["status"], media_type=MEDIA_TYPE, headers=headers)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def _adlens_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdlensError)
    headers = None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after)}
    elif exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return problem_response(exc.to_problem(), _request_id(request), headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = TITLES.get(exc.status_code, "error").replace(" ", "_")
    detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(problem(exc.status_code, detail, code), _request_id(request), headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "where": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"where": "request", "message": "invalid"}
    return problem_response(
        problem(
            422,
            f"{first['where']}: {first['message']}",
            "invalid_request",
            errors=errors,
            hint="see the OpenAPI description at /docs for the expected shape",
        ),
        _request_id(request),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=exc, extra={"request_id": _request_id(request)})
    return problem_response(
        problem(
            500,
            "the server failed to answer this request",
            "internal_error",
            hint="report the request_id to the operator",
        ),
        _request_id(request),
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""
    app.add_exception_handler(AdlensError, _adlens_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can answer."""
    return {
        status: {
            "model": Problem,
            "description": TITLES.get(status, "error"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in sorted(set(statuses))
    }
