"""PurgeExpiredLeads: the retention sweep's step for leads."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.leads import DEFAULT_RETENTION_MONTHS, expired_before
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

BATCH = 500


class PurgeExpiredLeads:
    """Delete every lead older than its agent's retention (``retention_months`` of the form,
    24 by default, also for agents without a saved form), in batches, across accounts; return
    how many went."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, batch: int = BATCH) -> None:
        self._uow = uow
        self._clock = clock
        self._batch = batch

    async def __call__(self) -> int:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            forms = await uow.leads.forms_of_all_accounts()
        targets: list[tuple[str | None, str | None, datetime]] = [
            (f.account_id, f.agent_id, expired_before(now, f.retention_months)) for f in forms
        ]
        targets.append((None, None, expired_before(now, DEFAULT_RETENTION_MONTHS)))
        total = 0
        for account_id, agent_id, before in targets:
            while True:
                async with self._uow(account_id=None) as uow:
                    removed = await uow.leads.purge_before(account_id, agent_id, before, self._batch)
                    await uow.commit()
                total += removed
                if removed < self._batch:
                    break
        return total
