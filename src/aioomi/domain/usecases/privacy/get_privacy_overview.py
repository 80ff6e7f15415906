"""GetPrivacyOverview: The owner's privacy choices: restriction, objection, a pending erasure."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Account, Principal
from aioomi.domain.model.privacy import (
    PrivacyState,
)
from aioomi.domain.usecases.privacy.support import _own_account
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PrivacyOverview(msgspec.Struct, frozen=True, kw_only=True):
    account: Account
    state: PrivacyState


class GetPrivacyOverview:
    """The owner's privacy choices: restriction, objection, a pending erasure."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> PrivacyOverview:
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
        return PrivacyOverview(account=account, state=state)
