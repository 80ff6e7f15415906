"""The SignOutEverywhere use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SignedOutEverywhere(msgspec.Struct, frozen=True, kw_only=True):
    sessions: int
    api_keys: int


class SignOutEverywhere:
    """Revoke every session of the person and every API key they made (in any workspace), the
    caller's session included: whoever held any credential of the person is out. Returns how
    many of each ended."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> SignedOutEverywhere:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            sessions = await uow.sessions.revoke_all(principal.account_id, now)
            await uow.commit()
        async with self._uow(account_id=None) as uow:  # the keys they made in any workspace
            keys = await uow.api_keys.revoke_all(principal.account_id, now)
            await uow.commit()
        return SignedOutEverywhere(sessions=sessions, api_keys=keys)
