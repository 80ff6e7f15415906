"""ListSessions: The account's live sessions with their IP, browser and times, newest first."""

from __future__ import annotations

from aioomi.domain.model.accounts import OwnerSession, Principal, SessionPolicy
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListSessions:
    """The account's live sessions with their IP, browser and times, newest first."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def __call__(self, principal: Principal) -> list[OwnerSession]:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            sessions = await uow.sessions.list_unrevoked(principal.account_id)
        return [s for s in sessions if s.is_live(now, self._policy.idle_timeout)]
