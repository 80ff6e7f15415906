"""ReadOwnerHandoff: the owner's view of one conversation's handoff: its state and the events
after the last one they saw."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.handoff import expired_message, handoff_of
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.handoff.read_visitor_handoff import HandoffFeed
from aioomi.domain.usecases.handoff.support import EVENTS_PAGE, expire_if_stale, owner_session, settings_of
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReadOwnerHandoff:
    """The state and the events numbered above ``after`` (at most 100 a call) of one of the
    caller's conversations (``session_not_found`` for another account's).

    Rules: as the visitor's read, a wait past the agent's maximum goes back to the assistant
    first (``expired``)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, session_id: str, after: int) -> HandoffFeed:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            session = await owner_session(uow, principal, session_id)
            settings = await settings_of(uow, session.account_id, session.agent_id)
        session = await expire_if_stale(self._uow, session, settings, self._clock.now())
        async with self._uow(account_id=principal.workspace_id) as uow:
            events = (
                await uow.handoffs.events_after(principal.workspace_id, session.id, after, limit=EVENTS_PAGE)
                if after < session.handoff_seq
                else []
            )
        return HandoffFeed(handoff=handoff_of(session), events=events, expired_message=expired_message(settings))
