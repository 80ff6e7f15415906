"""RetentionReport: The last run of every sweep kind, newest first, for the operator."""

from __future__ import annotations

from aioomi.domain.model.privacy import (
    RetentionRun,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RetentionReport:
    """The last run of every sweep kind, newest first, for the operator."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, limit: int = 50) -> list[RetentionRun]:
        async with self._uow(account_id=None) as uow:
            return await uow.privacy.list_runs(limit)
