"""PurgeOldWebhookEvents: the retention sweep's step for the webhook outbox."""

from __future__ import annotations

from datetime import timedelta

from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

EVENT_RETENTION = timedelta(days=30)
BATCH = 500


class PurgeOldWebhookEvents:
    """Delete webhook events 30 days after they were made (retries end after about three days),
    with their deliveries and log, in batches; an event still being delivered stays. Return how
    many went."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, batch: int = BATCH) -> None:
        self._uow = uow
        self._clock = clock
        self._batch = batch

    async def __call__(self) -> int:
        before = self._clock.now() - EVENT_RETENTION
        total = 0
        while True:
            async with self._uow(account_id=None) as uow:
                removed = await uow.webhooks.purge_events_before(before, self._batch)
                await uow.commit()
            total += removed
            if removed < self._batch:
                return total
