"""SyncDueSources: start the scheduled syncs whose time has come (a periodic worker task)."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.sources import SourceBusy, next_sync
from aioomi.domain.usecases.source_support import start_run
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

BATCH = 100


class SyncDueSources:
    """Queue a run of every scheduled source whose ``next_sync_at`` has come.

    Rules:
    - each source in its own account's unit of work, under its row lock; a source with a run
      already queued or running is left for the next period;
    - ``next_sync_at`` moves one period ahead when the run is queued (the run's end sets it
      again from its finish), so a source is never queued twice for one period;
    - returns how many runs were queued.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self) -> int:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            due = await uow.sources.due(now, BATCH)
        queued = 0
        for candidate in due:
            async with self._uow(account_id=candidate.account_id) as uow:
                source = await uow.sources.get(candidate.account_id, candidate.id, for_update=True)
                if source is None or source.next_sync_at is None or source.next_sync_at > now:
                    continue
                try:
                    await start_run(uow, source, now)
                    queued += 1
                except SourceBusy:
                    pass
                await uow.sources.update(msgspec.structs.replace(source, next_sync_at=next_sync(source.schedule, now)))
                await uow.commit()
        return queued
