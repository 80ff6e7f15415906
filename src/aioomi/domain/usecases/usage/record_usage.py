"""The RecordUsage use case."""

from __future__ import annotations

from aioomi.domain.model.usage import UsageEntry
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RecordUsage:
    """Add one model call's tokens to the ledger. Rules: the entry and the monthly counters
    change in one transaction, so quotas never see one without the other."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, entry: UsageEntry) -> None:
        async with self._uow(account_id=entry.account_id) as uow:
            await uow.usage.add(entry)
            await uow.commit()
