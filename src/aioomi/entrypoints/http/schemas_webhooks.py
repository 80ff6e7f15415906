"""Request and response bodies of the outbound webhooks API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from aioomi.domain.model.webhooks import (
    EVENT_TYPES,
    MAX_DESCRIPTION,
    MAX_URL,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL)]
EventType = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Events = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=len(EVENT_TYPES))]
Description = Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION * 2)]


class WebhookEndpointIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new endpoint: its public http(s) address, the events it wants, and a note for you."""

    url: Url
    events: Events
    description: Description = ""


class WebhookEndpointUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to change; fields left out stay as they are. `enabled: true` switches an endpoint
    back on (also one switched off for failing)."""

    url: Url | UnsetType = UNSET
    events: Events | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET


class WebhookEndpointOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    """`manual` (switched off by you) or `failing` (by Aioomi, after three days of failures)."""
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookEndpointOut:
        return cls(
            id=e.id,
            url=e.url,
            events=list(e.events),
            description=e.description,
            enabled=e.enabled,
            disabled_reason=e.disabled_reason,
            failing_since=e.failing_since,
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


class WebhookEndpointWithSecret(WebhookEndpointOut, frozen=True, kw_only=True):
    secret: str
    """The signing secret (`whsec_…`): shown only now. Keep it to verify signatures."""

    @classmethod
    def with_secret(cls, e: WebhookEndpoint) -> WebhookEndpointWithSecret:
        return cls(**msgspec.structs.asdict(WebhookEndpointOut.of(e)), secret=e.secret)


class WebhookEndpointList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[WebhookEndpointOut]


class WebhookAttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    event_id: str
    """The `webhook-id` the request carried."""
    event_type: str
    number: int
    """1 for the first request of the delivery, then 2, 3 … for retries and redeliveries."""
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    """The start of the answer's body (at most 1,000 characters)."""
    error: str | None
    succeeded: bool
    manual: bool

    @classmethod
    def of(cls, a: WebhookAttempt) -> WebhookAttemptOut:
        return cls(
            id=a.id,
            event_id=a.event_id,
            event_type=a.event_type,
            number=a.number,
            attempted_at=a.attempted_at,
            status_code=a.status_code,
            latency_ms=a.latency_ms,
            response_excerpt=a.response_excerpt,
            error=a.error,
            succeeded=a.succeeded,
            manual=a.manual,
        )


class WebhookAttemptList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[WebhookAttemptOut]


class WebhookTestOut(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str


class WebhookDeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    endpoint_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, d: WebhookDelivery) -> WebhookDeliveryOut:
        return cls(
            event_id=d.event_id,
            endpoint_id=d.endpoint_id,
            status=str(d.status),
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
        )


class WebhookEventTypes(msgspec.Struct, frozen=True, kw_only=True):
    data: list[str]
