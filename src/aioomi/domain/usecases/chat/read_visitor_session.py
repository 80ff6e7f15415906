"""The ReadVisitorSession use case."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage, ChatSession, check_visitor_id
from aioomi.domain.usecases.answer_chat import own_session
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReadVisitorSession:
    """The visitor's own data: one of their sessions with this agent and its messages, in order.

    - A malformed visitor id is refused (``invalid_visitor_id``).
    - Another visitor's session, or another agent's, is not found (``session_not_found``).
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, agent: Agent, visitor_id: str, session_id: str) -> tuple[ChatSession, list[ChatMessage]]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, visitor_id)
            return session, await uow.chat_messages.list_for_session(agent.account_id, session.id)
