"""ListHandoffInbox: the owner's inbox of conversations waiting for a person or with one."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.handoff import HandoffSettings, HandoffState
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.handoff.support import INBOX_LIMIT, expire_if_stale, settings_of
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class InboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    session: ChatSession
    agent_name: str
    last_message: ChatMessage | None = None


class ListHandoffInbox:
    """The account's conversations that are ``waiting`` or ``with_human``, the longest waiting
    first, at most 100, each with its agent's name and its latest message.

    Rules: only the caller's account; a waiting conversation past its agent's maximum wait is
    sent back to the assistant (an ``expired`` event) and left out."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> list[InboxEntry]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            held = await uow.handoffs.inbox(principal.workspace_id, limit=INBOX_LIMIT)
            names: dict[str, str] = {}
            settings: dict[str, HandoffSettings] = {}
            for session, _ in held:
                if session.agent_id not in names:
                    agent = await uow.agents.get(principal.workspace_id, session.agent_id)
                    names[session.agent_id] = agent.name if agent is not None else ""
                    settings[session.agent_id] = await settings_of(uow, principal.workspace_id, session.agent_id)
        entries: list[InboxEntry] = []
        for session, last in held:
            current = await expire_if_stale(self._uow, session, settings[session.agent_id], now)
            if current.handoff is HandoffState.ASSISTANT:
                continue
            entries.append(InboxEntry(session=current, agent_name=names[session.agent_id], last_message=last))
        return entries
