"""The ListVisitorSessions use case."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatLimits, ChatSession, check_visitor_id
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListVisitorSessions:
    """The visitor's own data: their sessions with this agent, newest first.

    - A malformed visitor id is refused (``invalid_visitor_id``).
    - A visitor id sees nothing but its own sessions, at most ``sessions_per_visitor_listed``.
    """

    def __init__(self, uow: UnitOfWorkFactory, limits: ChatLimits) -> None:
        self._uow = uow
        self._limits = limits

    async def __call__(self, agent: Agent, visitor_id: str) -> list[ChatSession]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            return await uow.chat_sessions.list_for_visitor(
                agent.account_id, agent.id, visitor_id, limit=self._limits.sessions_per_visitor_listed
            )
