"""Request ids and access logs, as plain ASGI middleware (outermost, so errors are covered)."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog

from aioomi.domain.model.ids import new_id

log = structlog.get_logger("aioomi.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = b"x-request-id"


class RequestContextMiddleware:
    """Gives every request an id (the caller's ``X-Request-ID`` if it is a safe token), binds it
    to every log line of the request, returns it in ``X-Request-ID``, and writes one access
    line with method, route, status and latency."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope.get("headers", ()) if k == HEADER), b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else new_id("req")
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                if scope["path"] not in ("/healthz", "/metrics"):
                    log.info(
                        "request",
                        method=scope["method"],
                        path=scope["path"],
                        status=status,
                        ms=round((time.perf_counter() - started) * 1000, 2),
                        client=(scope.get("client") or ("-",))[0],
                    )
