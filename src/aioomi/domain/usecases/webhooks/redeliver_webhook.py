"""RedeliverWebhook: send an event to an endpoint again, now."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.webhooks import DELIVER_WEBHOOK, DeliveryStatus, WebhookDelivery, WebhookEventNotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.webhooks.support import find_own_endpoint
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RedeliverWebhook:
    """Queue one more request of an event the endpoint received (or failed to).

    Rules:
    - the event must have been meant for this endpoint (``webhook_event_not_found``);
    - the request carries the same ``webhook-id`` as the first (receivers deduplicate on it);
    - the delivery is pending again and the request is made at once, whatever the schedule
      said; if it fails, the usual retries follow from there.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, endpoint_id: str, event_id: str) -> WebhookDelivery:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            await find_own_endpoint(uow, principal, endpoint_id)
            delivery = await uow.webhooks.get_delivery(principal.workspace_id, event_id, endpoint_id, for_update=True)
            if delivery is None:
                raise WebhookEventNotFound("This endpoint has no such event.")
            again = msgspec.structs.replace(
                delivery, status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now
            )
            await uow.webhooks.save_delivery(again)
            await uow.jobs.enqueue(
                NewJob(
                    kind=DELIVER_WEBHOOK,
                    payload={
                        "account_id": principal.workspace_id,
                        "event_id": event_id,
                        "endpoint_id": endpoint_id,
                        "attempt": delivery.attempts + 1,
                        "manual": True,
                    },
                )
            )
            await uow.commit()
        return again
