"""The PurgeDeletedAccounts use case."""

from __future__ import annotations

from aioomi.domain.model.privacy import SweepKind
from aioomi.domain.usecases.privacy.purge_deleted_account import PurgeDeletedAccount
from aioomi.domain.usecases.privacy.retention_support import run_recorded
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PurgeDeletedAccounts:
    """Erase accounts whose grace period ended (always within 30 days of the request).

    Rules: the accounts due are read in batches of ``batch`` and each is erased by
    :class:`~aioomi.domain.usecases.privacy.purge_deleted_account.PurgeDeletedAccount` (its
    steps are idempotent, so a crash mid-way is finished by the next run); the run is recorded
    with counts only (``None``: another run holds the sweep).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        records: OperationalRecords,
        purge_account: PurgeDeletedAccount,
        batch: int = 100,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records
        self._purge_account = purge_account
        self._batch = batch

    async def __call__(self) -> int | None:
        return await run_recorded(self._uow, self._clock, self._records, str(SweepKind.ACCOUNTS), self._purge_due)

    async def _purge_due(self) -> int:
        purged = 0
        while True:
            async with self._uow(account_id=None) as uow:
                due = await uow.privacy.due_for_purge(self._clock.now(), self._batch)
            for account_id in due:
                await self._purge_account(account_id)
                purged += 1
            if len(due) < self._batch:
                return purged
