"""The DeleteVisitorConversations use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import check_visitor_id
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.privacy.support import every_agent, record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteVisitorConversations:
    """The owner as controller of their visitors' data: a visitor's conversations across the
    owner's agents, and the visitor's leads, deleted (hard delete) by visitor id; returns the
    number of sessions deleted.

    - A malformed visitor id (not 16–64 of ``[A-Za-z0-9_-]``) is refused before any look-up
      (``invalid_visitor_id``).
    - Every deletion is audited (``visitor_deleted``, with the number of sessions).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, visitor_id: str) -> int:
        ensure_permitted(principal, Permission.MANAGE_CONVERSATIONS)
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            removed = 0
            for agent_id in [agent.id async for agent in every_agent(uow, principal.workspace_id)]:
                for session in await uow.chat_sessions.list_for_visitor(
                    principal.workspace_id, agent_id, visitor_id, limit=100_000
                ):
                    removed += int(await uow.chat_sessions.delete(principal.workspace_id, session.id))
            await uow.leads.delete_for_visitor(principal.workspace_id, visitor_id)  # the visitor's leads too
            await record(uow, principal.workspace_id, RightsAction.VISITOR_DELETED, now, sessions=removed)
            await uow.commit()
        return removed
