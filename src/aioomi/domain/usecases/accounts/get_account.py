"""GetAccount: reading the owner's own data."""

from __future__ import annotations

from aioomi.domain.model.accounts import Account, Principal
from aioomi.domain.model.errors import NotFound
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetAccount:
    """The caller's own account."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> Account:
        async with self._uow(account_id=principal.account_id) as uow:
            account = await uow.accounts.get(principal.account_id)
        if account is None:
            raise NotFound("No such account.", code="account_not_found")
        return account
