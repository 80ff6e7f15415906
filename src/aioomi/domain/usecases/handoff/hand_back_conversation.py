"""HandBackConversation: the owner hands the conversation back to the assistant."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.handoff import HandoffAction, HandoffEvent
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.handoff.support import move, owner_session, retrying
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class HandBackConversation:
    """``with_human`` (or ``waiting``: declined) → ``assistant``.

    Rules: the caller's own conversation (``session_not_found``); one a person holds or is
    asked for (``handoff_invalid_transition``); an ``ended`` event tells the visitor, whose
    next message the assistant answers again."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, session_id: str) -> HandoffEvent:
        ensure_permitted(principal, Permission.HANDLE_HANDOFFS)

        async def attempt() -> HandoffEvent:
            async with self._uow(account_id=principal.workspace_id) as uow:
                session = await owner_session(uow, principal, session_id)
                event = await move(uow, session, HandoffAction.HAND_BACK, self._clock.now())
                await uow.commit()
            return event

        return await retrying(attempt)
