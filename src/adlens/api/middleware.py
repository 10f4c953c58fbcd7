"""The ASGI middleware around every request.

It gives each request an id, enforces the body size and JSON depth limits before any
route reads the body, adds security headers, and on the way out records the request:
metrics, one JSON log line and one audit record.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adlens.api.audit import AuditWriter
from adlens.api.observability import ApiMetrics
from adlens.api.problems import MEDIA_TYPE, problem
from adlens.appdb.models import utcnow

log = logging.getLogger("adlens.api")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
UPLOAD_PATHS = ("/data/upload/file",)


class _TooLarge(Exception):
    pass


def json_depth(body: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text (strings skipped).

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class RequestMiddleware:
    """Request ids, limits, security headers, metrics, logs and audit for every request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ApiMetrics,
        audit: AuditWriter,
        max_body_bytes: int,
        max_upload_bytes: int,
        max_json_depth: int,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.audit = audit
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        sent_start = False
        https = scope.get("scheme") == "https"

        refusal: list[dict[str, Any]] = []  # set when the body grows over the limit mid-way

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent_start
            if refusal and message["type"].startswith("http.response") and not sent_start:
                return  # the route failed on the truncated body: answer 413 instead
            if message["type"] == "http.response.start":
                status = message["status"]
                sent_start = True
                extra = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
                names = {k.lower() for k, _ in message.get("headers", [])}
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", API_CSP))
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            try:
                limited = await self._limited(scope, headers, receive, refusal)
                await self.app(scope, limited, send_wrapper)
            except _Refused as refused:
                refusal.append(refused.body)
            except Exception:
                if not refusal:
                    raise
            if refusal and not sent_start:
                status = refusal[0]["status"]
                body = refusal[0]
                refusal.clear()
                await self._send_problem(send_wrapper, body, request_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - started)

    async def _limited(
        self,
        scope: Scope,
        headers: dict[str, str],
        receive: Receive,
        refusal: list[dict[str, Any]],
    ) -> Receive:
        """A ``receive`` that refuses bodies over the limit and JSON nested too deep."""
        limit = self.max_upload_bytes if scope["path"] in UPLOAD_PATHS else self.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise _Refused(_too_large(limit))
        if "json" in headers.get("content-type", "") and scope["method"] in (
            "POST",
            "PUT",
            "PATCH",
        ):
            body = await _read_all(receive, limit)
            if json_depth(body) > self.max_json_depth:
                raise _Refused(
                    problem(
                        400,
                        f"JSON nested deeper than {self.max_json_depth} levels",
                        "json_too_deep",
                    )
                )
            return _replay(body, receive)
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refusal.append(_too_large(limit))
                    raise _Refused(refusal[0])
            return message

        return counting

    @staticmethod
    async def _send_problem(send: Send, body: dict[str, Any], request_id: str) -> None:
        payload = json.dumps({**body, "request_id": request_id}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": body["status"],
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "<unmatched>"
        method = scope["method"]
        state = scope.get("state", {})
        principal = state.get("principal")
        client = scope.get("client")
        client_ip = client[0] if client else None
        self.metrics.request_duration.labels(method, route, str(status)).observe(seconds)
        self.metrics.requests.labels(method, route, str(status)).inc()
        entry = {
            "at": utcnow(),
            "request_id": request_id,
            "principal": principal.name if principal else None,
            "workspace": principal.workspace if principal else None,
            "method": method,
            "route": route,
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "client_ip": client_ip,
        }
        self.audit.record(entry)
        log.info(
            "%s %s %s",
            method,
            route,
            status,
            extra={k: v for k, v in entry.items() if k != "at"},
        )


class _Refused(Exception):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["detail"])
        self.body = body


def _too_large(limit: int) -> dict[str, Any]:
    return problem(
        413,
        f"the request body is larger than {limit} bytes",
        "payload_too_large",
        hint="send a smaller body (the limits are ADLENS_MAX_BODY_BYTES and "
        "ADLENS_MAX_UPLOAD_BYTES)",
    )


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Refused(_too_large(limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, upstream: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await upstream()  # after the body: wait for the client to disconnect

    return receive
