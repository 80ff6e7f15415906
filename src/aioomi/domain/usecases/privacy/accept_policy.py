"""The AcceptPolicy use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.privacy import (
    RightsAction,
)
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class AcceptPolicy:
    """The owner accepts a published version (in force or announced); recorded on the account
    and in the audit log."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, version: str) -> str:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            if version not in {v.version for v in await uow.privacy.list_policy_versions()}:
                raise InvalidInput("No such policy version.", code="policy_version_unknown", field="version")
            account = await uow.accounts.get(principal.account_id)
            if account is None:
                raise NotFound("No such account.", code="account_not_found")
            await uow.accounts.update(msgspec.structs.replace(account, accepted_policy_version=version, updated_at=now))
            await record(uow, account.id, RightsAction.POLICY_ACCEPTED, now, version=version)
            await uow.commit()
        return version
