"""Outbound webhooks: endpoints an owner registers, the events they receive, and the pure rules
of delivering them (payload shape, retry schedule, when an endpoint is switched off).

Events are recorded in the same unit of work as the change they report (an outbox), so an
event exists if and only if its change committed; the worker delivers them later, signed as
the Standard Webhooks specification says, retrying for about three days.
"""

from __future__ import annotations

import base64
import enum
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec

from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound

ENDPOINT_PREFIX = "whe"
EVENT_PREFIX = "evt"
ATTEMPT_PREFIX = "wha"
DELIVER_WEBHOOK = "webhooks.deliver"
NOTIFY_WEBHOOK_DISABLED = "webhooks.notify_disabled"
PAYLOAD_VERSION = 1
TEST_EVENT = "webhook.test"

# Every event an endpoint may subscribe to. Those marked "later" are accepted now so that an
# endpoint can ask for them before the feature that emits them lands.
EVENT_TYPES: tuple[str, ...] = (
    "conversation.started",
    "message.created",
    "feedback.created",
    "lead.created",
    "handoff.requested",
    "handoff.taken",
    "handoff.ended",
    "document.ready",
    "document.failed",
    "source.synced",
    "test_run.failed",
)

MAX_ENDPOINTS = 20
MAX_URL = 2000
MAX_DESCRIPTION = 200
RESPONSE_EXCERPT_CHARS = 1000
RESPONSE_READ_BYTES = 4096
TIMEOUT_S = 10.0
MAX_ATTEMPTS = 19
FIRST_RETRY = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=8)
JITTER = 0.25
DISABLE_AFTER = timedelta(days=3)


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"
    title = "Webhook endpoint not found"


class WebhookEventNotFound(NotFound):
    code = "webhook_event_not_found"
    title = "Webhook event not found"


class InvalidWebhookEndpoint(InvalidInput):
    code = "invalid_webhook_endpoint"
    title = "Invalid webhook endpoint"


class TooManyWebhookEndpoints(Conflict):
    code = "too_many_webhook_endpoints"
    title = "Too many webhook endpoints"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """Where an account's events go. ``secret`` (``whsec_…``) signs every request; it is shown
    once, when made or rotated. ``failing_since`` is the first failed attempt since the last
    success; ``disabled_reason`` says why an endpoint stopped (``manual``, ``failing``)."""

    id: str
    account_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    description: str = ""
    enabled: bool = True
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    created_at: datetime
    updated_at: datetime


class WebhookEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Something that happened in an account, as its endpoints receive it. ``id`` is the
    ``webhook-id`` of every request that carries it (retries and redeliveries included).
    ``only_endpoint_id`` sends it to one endpoint whatever it subscribed to (test events)."""

    id: str
    account_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime
    only_endpoint_id: str | None = None

    def payload(self) -> dict[str, Any]:
        """The versioned JSON body (see docs/webhooks.md)."""
        return {
            "id": self.id,
            "type": self.type,
            "version": PAYLOAD_VERSION,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "account_id": self.account_id,
            "data": self.data,
        }


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """One event on its way to one endpoint."""

    account_id: str
    event_id: str
    endpoint_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One request of a delivery, as the endpoint's log shows it. ``status_code`` is ``None``
    when no answer came (refused address, timeout, connection error: said in ``error``)."""

    id: str
    account_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str | None
    succeeded: bool
    manual: bool = False


class WebhookRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What the transport signs and posts: ``body`` is the JSON payload's bytes."""

    url: str
    secret: str
    message_id: str
    timestamp: datetime
    body: bytes


class WebhookResponse(msgspec.Struct, frozen=True, kw_only=True):
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_events(events: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """At least one known event type, each once, in the catalogue's order."""
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidWebhookEndpoint(f"Unknown event type: {', '.join(unknown)}.", field="events")
    if not events:
        raise InvalidWebhookEndpoint("Choose at least one event.", field="events")
    return tuple(e for e in EVENT_TYPES if e in set(events))


def check_endpoint_url(url: str) -> str:
    """The shape of an endpoint's address (its host is checked against the SSRF rules apart)."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise InvalidWebhookEndpoint(f"Use an address of 1 to {MAX_URL} characters.", field="url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookEndpoint("Use an http:// or https:// address.", field="url")
    if parts.username or parts.password:
        raise InvalidWebhookEndpoint("Put no user name or password in the address.", field="url")
    if parts.fragment:
        raise InvalidWebhookEndpoint("Put no #fragment in the address.", field="url")
    return url


def check_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidWebhookEndpoint(f"Use a description of at most {MAX_DESCRIPTION} characters.", field="description")
    return description


def retry_delay(attempts: int, jitter: float) -> timedelta | None:
    """How long to wait after the ``attempts``-th failed request before the next one, or
    ``None`` when the delivery gives up (after :data:`MAX_ATTEMPTS` requests).

    Exponential: 30 s, 1 min, 2 min … doubling up to 8 h, each scaled by ``1 + jitter`` where
    ``jitter`` is in [-0.25, 0.25] (so retries from many deliveries spread out). Without
    jitter the 18 waits add up to 4,351.5 min (about 72.5 h): about three days.
    """
    if attempts < 1:
        raise ValueError("attempts counts requests made, at least 1 after a failure")
    if not -JITTER <= jitter <= JITTER:
        raise ValueError(f"jitter must be within ±{JITTER}")
    if attempts >= MAX_ATTEMPTS:
        return None
    base: timedelta = min(FIRST_RETRY * (2 ** min(attempts - 1, 20)), RETRY_CAP)
    return base * (1 + jitter)


def should_disable(endpoint: WebhookEndpoint, now: datetime) -> bool:
    """An endpoint is switched off when a delivery gives up and nothing sent to it has
    succeeded for :data:`DISABLE_AFTER` (so one bad event does not switch off a working one)."""
    return endpoint.enabled and endpoint.failing_since is not None and now - endpoint.failing_since >= DISABLE_AFTER


def excerpt(body: bytes) -> str:
    """The start of a response body for the log: text, at most :data:`RESPONSE_EXCERPT_CHARS`."""
    return body[:RESPONSE_READ_BYTES].decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS]
