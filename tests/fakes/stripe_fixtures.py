"""Pytest fixtures serving :class:`FakeStripe` with uvicorn on 127.0.0.1 in a background
thread, and helpers to sign webhook events the way Stripe does."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from testkit.serving import loopback_socket, serve_in_thread

from tests.fakes.stripe_server import SECRET_KEY, FakeStripe

WEBHOOK_SECRET = "whsec_aioomi_test_secret"


@dataclass
class ServedFakeStripe:
    fake: FakeStripe
    base_url: str
    secret_key: str = SECRET_KEY


@pytest.fixture(scope="session")
def _served_fake_stripe() -> Iterator[ServedFakeStripe]:
    fake = FakeStripe()
    sock = loopback_socket()
    port = sock.getsockname()[1]
    with serve_in_thread(fake, sock, name="fake-stripe", lifespan="off", start_timeout_s=10, stop_timeout_s=5):
        yield ServedFakeStripe(fake=fake, base_url=f"http://127.0.0.1:{port}")


@pytest.fixture
def fake_stripe(_served_fake_stripe: ServedFakeStripe) -> Iterator[ServedFakeStripe]:
    """The running fake, empty."""
    _served_fake_stripe.fake.reset()
    yield _served_fake_stripe
    _served_fake_stripe.fake.reset()


def stripe_event(type_: str, obj: dict[str, Any], *, created: int | None = None, event_id: str | None = None) -> bytes:
    """A Stripe event body (API shape) around ``obj``."""
    return json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2025-08-27.basil",
            "created": created if created is not None else int(time.time()),
            "type": type_,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": obj},
        }
    ).encode()


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send, made with the SDK's own helper."""
    at = int(time.time()) if timestamp is None else timestamp
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=at)
