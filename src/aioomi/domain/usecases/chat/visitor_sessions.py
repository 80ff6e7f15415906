"""The VisitorSessions use case."""

from __future__ import annotations

import builtins

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import (
    ChatLimits,
    ChatMessage,
    ChatSession,
    ChatSessionNotFound,
    check_visitor_id,
)
from aioomi.domain.usecases.answer_chat import (
    own_session,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class VisitorSessions:
    """The visitor's own data: their sessions with this agent (newest first), one session with
    its messages, and deleting one (hard delete). A visitor id sees nothing but its own."""

    def __init__(self, uow: UnitOfWorkFactory, limits: ChatLimits) -> None:
        self._uow = uow
        self._limits = limits

    async def list(self, agent: Agent, visitor_id: str) -> list[ChatSession]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            return await uow.chat_sessions.list_for_visitor(
                agent.account_id, agent.id, visitor_id, limit=self._limits.sessions_per_visitor_listed
            )

    async def read(
        self, agent: Agent, visitor_id: str, session_id: str
    ) -> tuple[ChatSession, builtins.list[ChatMessage]]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, visitor_id)
            return session, await uow.chat_messages.list_for_session(agent.account_id, session.id)

    async def delete(self, agent: Agent, visitor_id: str, session_id: str) -> None:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, visitor_id)
            if not await uow.chat_sessions.delete(agent.account_id, session.id):
                raise ChatSessionNotFound("No such chat session.")
            await uow.commit()
