"""A webhook receiver for tests, as an ASGI app served on loopback: it verifies each request's
Standard Webhooks signature with the specification's own package (``standardwebhooks``),
records what came, and answers the statuses a test scripts (then 200)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from testkit.serving import loopback_socket, serve_in_thread


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    verified: bool
    body: dict[str, Any] | None
    answered: int


@dataclass
class WebhookReceiver:
    secret: str = ""
    """The endpoint's ``whsec_`` secret, set by the test once the endpoint exists."""
    statuses: list[int] = field(default_factory=list)
    """Answers to give, in order; 200 once they run out."""
    received: list[Received] = field(default_factory=list)
    url: str = ""
    delay_s: float = 0.0
    """How long to wait before answering (timeouts)."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):
            payload, verified = None, False
        status = self.statuses.pop(0) if self.statuses else 200
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.received.append(
            Received(
                webhook_id=headers.get("webhook-id", ""),
                timestamp=headers.get("webhook-timestamp", ""),
                verified=verified,
                body=payload,
                answered=status,
            )
        )
        answer = json.dumps({"ok": status < 300, "note": "x" * 3000}).encode()
        headers_out = [(b"content-type", b"application/json")]
        if 300 <= status < 400:
            headers_out.append((b"location", self.url.encode() + b"/moved"))
        await send({"type": "http.response.start", "status": status, "headers": headers_out})
        await send({"type": "http.response.body", "body": answer})


@contextmanager
def served_receiver(path: str = "/hooks") -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    sock = loopback_socket()
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}{path}"
    with serve_in_thread(receiver, sock, name="webhook-receiver"):
        yield receiver
