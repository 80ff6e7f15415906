"""The RevokeSession use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import NotFound
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RevokeSession:
    """End one of the account's sessions; another account's session id is simply not found."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, session_id: str) -> None:
        async with self._uow(account_id=principal.account_id) as uow:
            if not await uow.sessions.revoke(principal.account_id, session_id, self._clock.now()):
                raise NotFound("No such session.", code="session_not_found")
            await uow.commit()
