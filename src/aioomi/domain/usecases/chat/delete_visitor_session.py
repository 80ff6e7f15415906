"""The DeleteVisitorSession use case."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatSessionNotFound, check_visitor_id
from aioomi.domain.usecases.answer_chat import own_session
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteVisitorSession:
    """The visitor's own data: one of their sessions with this agent deleted with its messages
    (hard delete).

    - A malformed visitor id is refused (``invalid_visitor_id``).
    - Another visitor's session, or one already gone, is not found (``session_not_found``).
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, agent: Agent, visitor_id: str, session_id: str) -> None:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            session = await own_session(uow, agent, session_id, visitor_id)
            if not await uow.chat_sessions.delete(agent.account_id, session.id):
                raise ChatSessionNotFound("No such chat session.")
            await uow.commit()
