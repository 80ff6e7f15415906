"""The FindVisitorConversations use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import ChatSession, check_visitor_id
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.privacy.support import every_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class FindVisitorConversations:
    """The owner as controller of their visitors' data: a visitor's conversations across the
    owner's agents, by visitor id.

    - A malformed visitor id (not 16–64 of ``[A-Za-z0-9_-]``) is refused before any look-up
      (``invalid_visitor_id``).
    - Only the owner's own agents are searched (the account's tenant wall).
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, visitor_id: str) -> list[ChatSession]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        check_visitor_id(visitor_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            found: list[ChatSession] = []
            for agent_id in [agent.id async for agent in every_agent(uow, principal.workspace_id)]:
                found.extend(
                    await uow.chat_sessions.list_for_visitor(
                        principal.workspace_id, agent_id, visitor_id, limit=100_000
                    )
                )
        return found
