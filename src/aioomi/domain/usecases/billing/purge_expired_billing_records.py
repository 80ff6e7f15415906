"""The PurgeExpiredBillingRecords use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aioomi.domain.model.billing import (
    EVENT_RETENTION,
    record_cutoff,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.retention import SWEEP_BATCH
from aioomi.domain.usecases.batched_delete import delete_in_batches, in_own_transaction
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class PurgeExpiredBillingRecords:
    """Delete billing records 7 years after they occurred (detached ones too), and processed
    Stripe events after ``EVENT_RETENTION``. Rules: bounded batches; idempotent; safe from
    several workers (``SKIP LOCKED``); every run is recorded with what it removed."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, batch: int = SWEEP_BATCH) -> None:
        self._uow = uow
        self._clock = clock
        self._batch = batch

    async def __call__(self) -> dict[str, object]:
        now = self._clock.now()
        cutoff = record_cutoff(now)
        records = await self._loop(lambda uow: uow.billing.purge_records(cutoff, self._batch))
        events = await self._loop(lambda uow: uow.billing.purge_events(now - EVENT_RETENTION, self._batch))
        summary = {"cutoff": cutoff.isoformat(), "records_removed": records, "events_removed": events}
        async with self._uow(account_id=None) as uow:
            await uow.billing.add_run(new_id("brun"), "record_sweep", now, summary)
            await uow.commit()
        return summary

    async def _loop(self, step: Callable[[UnitOfWork], Awaitable[int]]) -> int:
        return await delete_in_batches(in_own_transaction(self._uow, step), self._batch)
