"""Webhook endpoints, the event outbox and the delivery log in memory, with the Postgres
store's semantics: emitted events are written at commit, with their deliveries and job."""

from __future__ import annotations

from datetime import datetime

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.webhooks import (
    DELIVER_WEBHOOK,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from aioomi.ports.job_queue import JobQueue


def _delivery_key(event_id: str, endpoint_id: str) -> str:
    return f"{event_id} {endpoint_id}"


class InMemoryWebhookStore:
    """:class:`aioomi.ports.webhooks.WebhookStore` on tables of the unit of work."""

    def __init__(
        self,
        endpoints: Table[WebhookEndpoint],
        events: Table[WebhookEvent],
        deliveries: Table[WebhookDelivery],
        attempts: Table[WebhookAttempt],
        jobs: JobQueue,
    ) -> None:
        self._endpoints = endpoints
        self._events = events
        self._deliveries = deliveries
        self._attempts = attempts
        self._jobs = jobs
        self._outbox: list[WebhookEvent] = []

    def emit(self, event: WebhookEvent) -> None:
        self._outbox.append(event)

    async def flush(self) -> None:
        """Write the outbox (called by the unit of work's commit, before its tables commit)."""
        outbox, self._outbox = self._outbox, []
        for event in outbox:
            wanted = [
                e
                for e in self._endpoints.values()
                if e.account_id == event.account_id
                and (e.id == event.only_endpoint_id if event.only_endpoint_id else e.enabled and event.type in e.events)
            ]
            if not wanted:
                continue
            self._events.put(event.id, event)
            for endpoint in sorted(wanted, key=lambda e: e.id):
                self._deliveries.put(
                    _delivery_key(event.id, endpoint.id),
                    WebhookDelivery(
                        account_id=event.account_id,
                        event_id=event.id,
                        endpoint_id=endpoint.id,
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        next_attempt_at=event.created_at,
                        created_at=event.created_at,
                        updated_at=event.created_at,
                    ),
                )
            await self._jobs.enqueue(
                NewJob(
                    kind=DELIVER_WEBHOOK,
                    payload={"account_id": event.account_id, "event_id": event.id, "endpoint_id": None, "attempt": 1},
                )
            )

    def discard(self) -> None:
        self._outbox.clear()

    async def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._endpoints.put(endpoint.id, endpoint)

    async def get_endpoint(self, account_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        found = self._endpoints.get(endpoint_id)
        return found if found is not None and found.account_id == account_id else None

    async def list_endpoints(self, account_id: str) -> list[WebhookEndpoint]:
        mine = [e for e in self._endpoints.values() if e.account_id == account_id]
        return sorted(mine, key=lambda e: (e.created_at, e.id))

    async def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        if await self.get_endpoint(endpoint.account_id, endpoint.id) is not None:
            self._endpoints.put(endpoint.id, endpoint)

    async def delete_endpoint(self, account_id: str, endpoint_id: str) -> bool:
        if await self.get_endpoint(account_id, endpoint_id) is None:
            return False
        self._endpoints.delete(endpoint_id)
        for key, delivery in list(self._deliveries.rows.items()):
            if delivery.endpoint_id == endpoint_id:
                self._deliveries.delete(key)
        for key, attempt in list(self._attempts.rows.items()):
            if attempt.endpoint_id == endpoint_id:
                self._attempts.delete(key)
        return True

    async def get_event(self, account_id: str, event_id: str) -> WebhookEvent | None:
        found = self._events.get(event_id)
        return found if found is not None and found.account_id == account_id else None

    async def get_delivery(
        self, account_id: str, event_id: str, endpoint_id: str, *, for_update: bool = False
    ) -> WebhookDelivery | None:
        found = self._deliveries.get(_delivery_key(event_id, endpoint_id))
        return found if found is not None and found.account_id == account_id else None

    async def pending_deliveries(self, account_id: str, event_id: str) -> list[WebhookDelivery]:
        found = [
            d
            for d in self._deliveries.values()
            if d.account_id == account_id and d.event_id == event_id and d.status is DeliveryStatus.PENDING
        ]
        return sorted(found, key=lambda d: d.endpoint_id)

    async def save_delivery(self, delivery: WebhookDelivery) -> None:
        key = _delivery_key(delivery.event_id, delivery.endpoint_id)
        if self._deliveries.get(key) is not None:
            self._deliveries.put(key, delivery)

    async def add_attempt(self, attempt: WebhookAttempt) -> None:
        self._attempts.put(attempt.id, attempt)

    async def list_attempts(self, account_id: str, endpoint_id: str, *, limit: int) -> list[WebhookAttempt]:
        mine = [a for a in self._attempts.values() if a.account_id == account_id and a.endpoint_id == endpoint_id]
        return sorted(mine, key=lambda a: (a.attempted_at, a.number, a.id), reverse=True)[:limit]

    async def purge_events_before(self, before: datetime, limit: int) -> int:
        pending = {d.event_id for d in self._deliveries.values() if d.status is DeliveryStatus.PENDING}
        due = sorted(
            (e for e in self._events.values() if e.created_at < before and e.id not in pending),
            key=lambda e: e.created_at,
        )[:limit]
        gone = {e.id for e in due}
        for event_id in gone:
            self._events.delete(event_id)
        for key, delivery in list(self._deliveries.rows.items()):
            if delivery.event_id in gone:
                self._deliveries.delete(key)
        for key, attempt in list(self._attempts.rows.items()):
            if attempt.event_id in gone:
                self._attempts.delete(key)
        return len(due)
