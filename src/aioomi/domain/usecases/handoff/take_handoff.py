"""TakeHandoff: the owner takes a waiting conversation."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.handoff import HandoffAction, HandoffEvent
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.handoff.support import move, owner_session, retrying
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class TakeHandoff:
    """``waiting`` → ``with_human``.

    Rules: the caller's own conversation (``session_not_found``); only a waiting one
    (``handoff_invalid_transition``: two owners taking it at once, one wins); a ``taken``
    event tells the visitor."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, session_id: str) -> HandoffEvent:
        ensure_permitted(principal, Permission.HANDLE_HANDOFFS)

        async def attempt() -> HandoffEvent:
            async with self._uow(account_id=principal.workspace_id) as uow:
                session = await owner_session(uow, principal, session_id)
                event = await move(uow, session, HandoffAction.TAKE, self._clock.now())
                await uow.commit()
            return event

        return await retrying(attempt)
