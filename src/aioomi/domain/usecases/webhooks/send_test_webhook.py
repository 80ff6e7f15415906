"""SendTestWebhook: queue a ``webhook.test`` event to one endpoint."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.webhooks import EVENT_PREFIX, TEST_EVENT, WebhookEvent
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.webhooks.support import find_own_endpoint
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SendTestWebhook:
    """Queue a test event for the endpoint, delivered like any other (signed, logged,
    retried), whatever events it subscribed to and also while it is switched off. Returns the
    event's id (its ``webhook-id``)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, endpoint_id: str) -> str:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            endpoint = await find_own_endpoint(uow, principal, endpoint_id)
            event = WebhookEvent(
                id=new_id(EVENT_PREFIX),
                account_id=principal.workspace_id,
                type=TEST_EVENT,
                data={"endpoint_id": endpoint.id, "message": "A test event from Aioomi."},
                created_at=now,
                only_endpoint_id=endpoint.id,
            )
            uow.webhooks.emit(event)
            await uow.commit()
        return event.id
