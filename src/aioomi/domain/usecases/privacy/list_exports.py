"""ListExports."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.privacy import (
    DataExport,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListExports:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[DataExport]:
        async with self._uow(account_id=principal.account_id) as uow:
            return await uow.privacy.list_exports(principal.account_id, 20)
