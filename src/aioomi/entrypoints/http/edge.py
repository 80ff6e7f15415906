"""The outer ASGI middlewares of the HTTP app: the client address behind trusted proxies, the
security headers, CORS for the widget API (per agent, from what the widget handlers verified)
and the API request log (batched, off the request path)."""

from __future__ import annotations

import asyncio
import ipaddress
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
ALLOWED_HEADERS = b"content-type, x-visitor-id, idempotency-key, accept, last-event-id"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _is_trusted(host: str | None, networks: tuple[Network, ...]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_client(peer: str | None, forwarded_for: str, networks: tuple[Network, ...]) -> str | None:
    """The client's address: the peer itself, unless the peer is a trusted proxy; then the
    rightmost hop of ``X-Forwarded-For`` that is not a trusted proxy (the hops left of it are
    whatever the client claimed). A hop that is not an IP address ends the walk at the last
    trusted hop."""
    if not _is_trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            break
        client = hop
        if not _is_trusted(hop, networks):
            break
    return client


class ProxyHeadersMiddleware:
    """Behind trusted reverse proxies (``AIOOMI_TRUSTED_PROXIES``), the client address and the
    scheme come from ``X-Forwarded-For`` and ``X-Forwarded-Proto``; from any other peer both
    headers are ignored, so a client cannot pick the IP its rate limits count against. uvicorn
    is given the same networks (``forwarded_allow_ips``); applying the rule twice is harmless
    (the header is the same and the walk ends on the same hop)."""

    def __init__(self, app: Any, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client")
        if (
            scope["type"] in ("http", "websocket")
            and self.networks
            and client
            and _is_trusted(client[0], self.networks)
        ):
            forwarded_for, proto = [], None
            for key, value in scope.get("headers", ()):
                if key == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif key == b"x-forwarded-proto":
                    proto = value.decode("latin-1").split(",")[-1].strip().lower()
            scope = dict(scope)
            scope["client"] = (forwarded_client(client[0], ",".join(forwarded_for), self.networks), client[1])
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
        await self.app(scope, receive, send)


# No inline script anywhere (the dashboard's scripts are files); inline style attributes stay
# allowed (progress bars, the widget preview's colour).
HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# JSON and other non-HTML answers: nothing may run or be framed, should a browser ever render one.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
REFERRER_POLICY = b"same-origin"
# Loaded by other sites' pages: the widget's script and API (no frame-ancestors, no CSP).
_CROSS_ORIGIN = (WIDGET_PREFIX, "/widget.js", "/widget/")


class SecurityHeadersMiddleware:
    """``X-Content-Type-Options: nosniff`` on every response; a ``Content-Security-Policy``
    with ``frame-ancestors 'none'``, ``X-Frame-Options: DENY`` and ``Referrer-Policy`` on every
    response but the widget's own (script and API, used from owners' sites). A handler that sets
    its own CSP (the demo page) keeps it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cross_origin = scope["path"].startswith(_CROSS_ORIGIN)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {key.lower() for key, _ in headers}
                if b"x-content-type-options" not in present:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if not cross_origin:
                    if b"content-security-policy" not in present:
                        media = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                        csp = HTML_CSP if media.lower().startswith(b"text/html") else DATA_CSP
                        headers.append((b"content-security-policy", csp.encode()))
                    if b"x-frame-options" not in present:
                        headers.append((b"x-frame-options", b"DENY"))
                    if b"referrer-policy" not in present:
                        headers.append((b"referrer-policy", REFERRER_POLICY))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
        public_key = scope["path"][len(WIDGET_PREFIX) :].split("/", 1)[0]
        try:
            await self.container.open_widget()(public_key, origin)
        except AioomiError as error:
            status = 404 if isinstance(error, NotFound) else 403
            body = msgspec.json.encode(
                {
                    "type": f"urn:aioomi:problem:{error.code}",
                    "title": error.title,
                    "status": status,
                    "detail": error.detail,
                    "code": error.code,
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"vary", b"Origin"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-methods", ALLOWED_METHODS),
                    (b"access-control-allow-headers", ALLOWED_HEADERS),
                    (b"access-control-max-age", b"600"),
                    (b"vary", b"Origin"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class RequestLogWriter:
    """Buffers request-log entries and writes them in batches from one background task, so a
    request never waits on the log: at most every ``interval_s`` or when ``batch_size`` are
    waiting, and at shutdown. If the store is down the batch is dropped (with a warning) rather
    than growing without bound; at most ``max_buffer`` entries wait. ``write`` is the use case
    that stores a batch (:class:`~aioomi.domain.usecases.privacy.record_api_requests.RecordApiRequests`: it
    honours the owners' objection and restriction as it writes)."""

    def __init__(self, write: Any, *, interval_s: float = 1.0, batch_size: int = 500, max_buffer: int = 20_000) -> None:
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
            batch, self._buffer = self._buffer[: self._batch_size], self._buffer[self._batch_size :]
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
            except (asyncio.CancelledError, Exception):  # noqa: BLE001, S110 - closing: flush() logs each failed batch itself
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
            self.writer.add(
                RequestLogEntry(
                    occurred_at=datetime.now(UTC),
                    method=scope["method"],
                    route=scope.get("path_template") or "(unmatched)",
                    status=status,
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    account_id=state.get("log_account_id"),
                    agent_id=state.get("log_agent_id"),
                    ip=(scope.get("client") or (None,))[0],
                )
            )
