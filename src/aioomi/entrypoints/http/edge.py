"""Two outer ASGI middlewares of the HTTP app: CORS for the widget API (per agent, from what
the widget handlers verified) and the API request log (batched, off the request path)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog

from aioomi.domain.model.errors import AioomiError, NotFound
from aioomi.domain.model.request_log import RequestLogEntry

log = structlog.get_logger("aioomi.request_log")

WIDGET_PREFIX = "/api/v1/widget/"
ALLOWED_METHODS = b"GET, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = b"content-type, x-visitor-id, idempotency-key, accept"


class WidgetCorsMiddleware:
    """Adds ``Access-Control-Allow-Origin`` to widget responses, errors included, when the
    handler verified the request's ``Origin`` against the agent's allow-list (it leaves it in
    the scope state as ``cors_origin``). Any other origin gets no CORS header, so the browser
    keeps the response from the page.

    Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) are answered here, per
    agent: the allowed origins differ from agent to agent, so no app-wide CORS setting fits."""

    def __init__(self, app: Any, container: Any) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(WIDGET_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(scope, headers, send)
            return

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                origin = scope.get("state", {}).get("cors_origin")
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"access-control-allow-origin"]
                if origin:
                    headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
                    headers.append((b"access-control-expose-headers", b"retry-after, x-request-id"))
                headers.append((b"vary", b"Origin"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cors)


    async def _preflight(self, scope: dict[str, Any], headers: dict[bytes, bytes], send: Any) -> None:
        origin = headers.get(b"origin", b"").decode("latin-1")
        public_key = scope["path"][len(WIDGET_PREFIX):].split("/", 1)[0]
        try:
            await self.container.open_widget().resolve(public_key, origin)
        except AioomiError as error:
            status = 404 if isinstance(error, NotFound) else 403
            body = msgspec.json.encode({"type": f"urn:aioomi:problem:{error.code}", "title": error.title,
                                        "status": status, "detail": error.detail, "code": error.code})
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                (b"vary", b"Origin")]})
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ALLOWED_METHODS),
            (b"access-control-allow-headers", ALLOWED_HEADERS),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
        ]})
        await send({"type": "http.response.body", "body": b""})


class RequestLogWriter:
    """Buffers request-log entries and writes them in batches from one background task, so a
    request never waits on the log: at most every ``interval_s`` or when ``batch_size`` are
    waiting, and at shutdown. If the store is down the batch is dropped (with a warning) rather
    than growing without bound; at most ``max_buffer`` entries wait. ``write`` is the use case
    that stores a batch (:class:`~aioomi.domain.usecases.privacy_rights.RecordApiRequests`: it
    honours the owners' objection and restriction as it writes)."""

    def __init__(self, write: Any, *, interval_s: float = 1.0, batch_size: int = 500,
                 max_buffer: int = 20_000) -> None:
        self._write = write
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._max_buffer = max_buffer
        self._buffer: list[RequestLogEntry] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def add(self, entry: RequestLogEntry) -> None:
        if len(self._buffer) >= self._max_buffer:
            self.dropped += 1
            return
        self._buffer.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="request-log")
        if len(self._buffer) >= self._batch_size:
            self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval_s)
            except TimeoutError:
                pass
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        while self._buffer:
            batch, self._buffer = self._buffer[: self._batch_size], self._buffer[self._batch_size:]
            try:
                await self._write(batch)
            except Exception as error:  # noqa: BLE001 - the log must never take requests down
                log.warning("request log batch dropped", entries=len(batch), error=str(error))

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """A Litestar lifespan listed after the one that starts the container: it exits first,
        so the last entries are written while the database pool is still open."""
        try:
            yield
        finally:
            await self.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
            self._task = None
        await self.flush()


class RequestLogMiddleware:
    """One log entry per HTTP request: method, route template, status, latency, the account or
    agent when a handler named them (scope state ``log_account_id``/``log_agent_id``), client IP.
    The writer is flushed when the server shuts down (:meth:`RequestLogWriter.lifespan`)."""

    def __init__(self, app: Any, writer: RequestLogWriter, skip: tuple[str, ...] = ("/healthz", "/metrics")) -> None:
        self.app = app
        self.writer = writer
        self._skip = skip

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self._skip:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            state = scope.get("state", {})
            self.writer.add(RequestLogEntry(
                occurred_at=datetime.now(UTC), method=scope["method"],
                route=scope.get("path_template") or "(unmatched)", status=status,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
                account_id=state.get("log_account_id"), agent_id=state.get("log_agent_id"),
                ip=(scope.get("client") or (None,))[0],
            ))
