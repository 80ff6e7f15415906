"""Outbound webhooks: the endpoints, the outbox of events and the delivery log; and the
transport that signs and posts a request."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookRequest,
    WebhookResponse,
)


class WebhookStore(Protocol):
    """An account's webhook endpoints, its outbox of events and their deliveries, inside the
    unit of work; every query is filtered by the account it names (row-level security again
    on Postgres)."""

    def emit(self, event: WebhookEvent) -> None:
        """Put ``event`` in the outbox of this unit of work. Nothing is written before
        ``commit``; at commit the event is recorded with one delivery per enabled endpoint
        that subscribed to its type (or only for ``event.only_endpoint_id``) and a delivery job,
        in the same transaction as the change it reports, or not at all when no endpoint wants
        it. Costs no round trip of its own on Postgres (sent with ``COMMIT``)."""
        ...

    async def add_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    async def get_endpoint(self, account_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def list_endpoints(self, account_id: str) -> list[WebhookEndpoint]:
        """The account's endpoints, oldest first."""
        ...

    async def save_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    async def delete_endpoint(self, account_id: str, endpoint_id: str) -> bool:
        """Delete the endpoint with its deliveries and log; ``False`` when there was none."""
        ...

    async def get_event(self, account_id: str, event_id: str) -> WebhookEvent | None: ...

    async def get_delivery(
        self, account_id: str, event_id: str, endpoint_id: str, *, for_update: bool = False
    ) -> WebhookDelivery | None: ...

    async def pending_deliveries(self, account_id: str, event_id: str) -> list[WebhookDelivery]:
        """The event's deliveries still pending, by endpoint."""
        ...

    async def save_delivery(self, delivery: WebhookDelivery) -> None: ...

    async def add_attempt(self, attempt: WebhookAttempt) -> None: ...

    async def list_attempts(self, account_id: str, endpoint_id: str, *, limit: int) -> list[WebhookAttempt]:
        """The endpoint's delivery log, newest first."""
        ...

    async def purge_events_before(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` events made before ``before`` with no delivery still pending,
        with their deliveries and log (system scope: the retention sweep); return how many."""
        ...


class WebhookTransport(Protocol):
    """Posts a signed webhook request (Standard Webhooks headers) under the SSRF guard:
    no redirects followed, a 10 s timeout, the connection pinned to the checked address."""

    async def check_url(self, url: str) -> None:
        """Raise :class:`~aioomi.domain.model.documents.UrlNotAllowed` unless every address the
        URL's host resolves to may be reached."""
        ...

    async def send(self, request: WebhookRequest) -> WebhookResponse:
        """Post ``request``; never raises for the endpoint's failures (they are in the answer)."""
        ...
