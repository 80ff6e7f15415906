"""What the webhook use cases share, and the one call that emits an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.webhooks import EVENT_PREFIX, WebhookEndpoint, WebhookEndpointNotFound, WebhookEvent
from aioomi.ports.unit_of_work import UnitOfWork


def emit_event(uow: UnitOfWork, *, account_id: str, type: str, data: dict[str, Any], at: datetime) -> str:
    """Report ``type`` to the account's endpoints, inside the caller's unit of work: the event
    exists if and only if the unit of work commits (and some endpoint wants it). Returns its id,
    which is the ``webhook-id`` of every request that carries it."""
    event_id = new_id(EVENT_PREFIX)
    uow.webhooks.emit(WebhookEvent(id=event_id, account_id=account_id, type=type, data=data, created_at=at))
    return event_id


async def find_own_endpoint(uow: UnitOfWork, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await uow.webhooks.get_endpoint(principal.workspace_id, endpoint_id)
    if endpoint is None:
        raise WebhookEndpointNotFound("No such webhook endpoint.")
    return endpoint
