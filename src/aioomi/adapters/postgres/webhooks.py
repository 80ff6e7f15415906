"""Webhook endpoints, the event outbox and the delivery log on Postgres. Runs on the unit of
work's connection (its transaction and row-level security apply); every query also filters by
account itself. Emitted events are sent with the unit of work's ``COMMIT`` (one round trip)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository, params_of, placeholders
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.webhooks import (
    DELIVER_WEBHOOK,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

_ENDPOINT = (
    "id, account_id, url, events, secret, description, enabled, disabled_reason, failing_since, created_at, updated_at"
)
_EVENT = "id, account_id, type, data, created_at, only_endpoint_id"
_DELIVERY = "account_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at"
_ATTEMPT = (
    "id, account_id, endpoint_id, event_id, event_type, number, attempted_at, status_code, latency_ms, "
    "response_excerpt, error, succeeded, manual"
)

# One statement: the event is recorded only when an endpoint wants it, with one delivery per
# such endpoint and the job that delivers them; otherwise nothing is written.
_EMIT = """
WITH wanted AS (
    SELECT id FROM webhook_endpoints
    WHERE account_id = %(account_id)s
      AND CASE WHEN %(only_endpoint_id)s::text IS NULL THEN enabled AND %(type)s = ANY (events)
               ELSE id = %(only_endpoint_id)s::text END
), event AS (
    INSERT INTO webhook_events (id, account_id, type, data, only_endpoint_id, created_at)
    SELECT %(id)s, %(account_id)s, %(type)s, %(data)s, %(only_endpoint_id)s, %(created_at)s
    WHERE EXISTS (SELECT 1 FROM wanted)
    RETURNING id
), deliveries AS (
    INSERT INTO webhook_deliveries (account_id, event_id, endpoint_id, status, attempts, next_attempt_at,
                                    created_at, updated_at)
    SELECT %(account_id)s, event.id, wanted.id, 'pending', 0, %(created_at)s, %(created_at)s, %(created_at)s
    FROM event CROSS JOIN wanted
)
INSERT INTO jobs (id, kind, payload, max_attempts)
SELECT %(job_id)s, %(job_kind)s, %(job_payload)s, 5 FROM event
"""


def _endpoint(row: dict[str, Any]) -> WebhookEndpoint:
    return msgspec.convert({**row, "events": tuple(row["events"])}, WebhookEndpoint)


class PostgresWebhookStore(PostgresRepository):
    """:class:`aioomi.ports.webhooks.WebhookStore` on the unit of work's connection."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)
        self._outbox: list[WebhookEvent] = []

    def emit(self, event: WebhookEvent) -> None:
        self._outbox.append(event)

    def drain(self) -> list[tuple[str, dict[str, Any]]]:
        """The outbox's statements, for the unit of work to send with ``COMMIT``; empties it."""
        outbox, self._outbox = self._outbox, []
        return [
            (
                _EMIT,
                {
                    "id": e.id,
                    "account_id": e.account_id,
                    "type": e.type,
                    "data": Jsonb(e.data),
                    "only_endpoint_id": e.only_endpoint_id,
                    "created_at": e.created_at,
                    "job_id": new_id("job"),
                    "job_kind": DELIVER_WEBHOOK,
                    "job_payload": Jsonb(
                        {"account_id": e.account_id, "event_id": e.id, "endpoint_id": None, "attempt": 1}
                    ),
                },
            )
            for e in outbox
        ]

    def discard(self) -> None:
        self._outbox.clear()

    async def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        params = params_of(endpoint) | {"events": list(endpoint.events)}
        await self._execute(f"INSERT INTO webhook_endpoints ({_ENDPOINT}) VALUES ({placeholders(_ENDPOINT)})", params)

    async def get_endpoint(self, account_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        row = await self._row(
            f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE account_id = %s AND id = %s", (account_id, endpoint_id)
        )
        return _endpoint(row) if row else None

    async def list_endpoints(self, account_id: str) -> list[WebhookEndpoint]:
        rows = await self._rows(
            f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE account_id = %s ORDER BY created_at, id", (account_id,)
        )
        return [_endpoint(r) for r in rows]

    async def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        params = params_of(endpoint) | {"events": list(endpoint.events)}
        await self._execute(
            "UPDATE webhook_endpoints SET url = %(url)s, events = %(events)s, secret = %(secret)s, "
            "description = %(description)s, enabled = %(enabled)s, disabled_reason = %(disabled_reason)s, "
            "failing_since = %(failing_since)s, updated_at = %(updated_at)s "
            "WHERE account_id = %(account_id)s AND id = %(id)s",
            params,
        )

    async def delete_endpoint(self, account_id: str, endpoint_id: str) -> bool:
        return (
            await self._execute(
                "DELETE FROM webhook_endpoints WHERE account_id = %s AND id = %s", (account_id, endpoint_id)
            )
            > 0
        )

    async def get_event(self, account_id: str, event_id: str) -> WebhookEvent | None:
        row = await self._row(
            f"SELECT {_EVENT} FROM webhook_events WHERE account_id = %s AND id = %s", (account_id, event_id)
        )
        return msgspec.convert(row, WebhookEvent) if row else None

    async def get_delivery(
        self, account_id: str, event_id: str, endpoint_id: str, *, for_update: bool = False
    ) -> WebhookDelivery | None:
        row = await self._row(
            f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE account_id = %s AND event_id = %s AND endpoint_id = %s"
            + (" FOR UPDATE" if for_update else ""),
            (account_id, event_id, endpoint_id),
        )
        return msgspec.convert(row, WebhookDelivery) if row else None

    async def pending_deliveries(self, account_id: str, event_id: str) -> list[WebhookDelivery]:
        rows = await self._rows(
            f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE account_id = %s AND event_id = %s AND status = %s "
            "ORDER BY endpoint_id",
            (account_id, event_id, DeliveryStatus.PENDING.value),
        )
        return [msgspec.convert(r, WebhookDelivery) for r in rows]

    async def save_delivery(self, delivery: WebhookDelivery) -> None:
        await self._execute(
            "UPDATE webhook_deliveries SET status = %(status)s, attempts = %(attempts)s, "
            "next_attempt_at = %(next_attempt_at)s, updated_at = %(updated_at)s "
            "WHERE account_id = %(account_id)s AND event_id = %(event_id)s AND endpoint_id = %(endpoint_id)s",
            params_of(delivery),
        )

    async def add_attempt(self, attempt: WebhookAttempt) -> None:
        await self._execute(
            f"INSERT INTO webhook_attempts ({_ATTEMPT}) VALUES ({placeholders(_ATTEMPT)})", params_of(attempt)
        )

    async def list_attempts(self, account_id: str, endpoint_id: str, *, limit: int) -> list[WebhookAttempt]:
        rows = await self._rows(
            f"SELECT {_ATTEMPT} FROM webhook_attempts WHERE account_id = %s AND endpoint_id = %s "
            "ORDER BY attempted_at DESC, number DESC, id DESC LIMIT %s",
            (account_id, endpoint_id, limit),
        )
        return [msgspec.convert(r, WebhookAttempt) for r in rows]

    async def purge_events_before(self, before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e WHERE e.created_at < %s "
            "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending') "
            "ORDER BY e.created_at LIMIT %s)",
            (before, limit),
        )
