"""The SignOut use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SignOut:
    """End the caller's own session (a no-op for API-key callers: keys are revoked, not signed out)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> None:
        if principal.session_id is None:
            return
        async with self._uow(account_id=principal.account_id) as uow:
            await uow.sessions.revoke(principal.account_id, principal.session_id, self._clock.now())
            await uow.commit()
