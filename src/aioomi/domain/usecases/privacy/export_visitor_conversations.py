"""The ExportVisitorConversations use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import check_visitor_id
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.privacy.support import (
    ExportedConversation,
    ExportedLead,
    _agent_conversations,
    every_agent,
    record,
)
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ExportVisitorConversations:
    """The owner as controller of their visitors' data: a visitor's conversations with their
    messages across the owner's agents, and the visitor's leads, by visitor id.

    - A malformed visitor id (not 16–64 of ``[A-Za-z0-9_-]``) is refused before any look-up
      (``invalid_visitor_id``).
    - Every export is audited (``visitor_exported``, with the number of sessions).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, visitor_id: str) -> list[ExportedConversation | ExportedLead]:
        ensure_permitted(principal, Permission.MANAGE_CONVERSATIONS)
        check_visitor_id(visitor_id)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            out: list[ExportedConversation | ExportedLead] = []
            for agent_id in [agent.id async for agent in every_agent(uow, principal.workspace_id)]:
                out.extend(await _agent_conversations(uow, principal.workspace_id, agent_id, visitor_id))
            leads = await uow.leads.list_for_visitor(principal.workspace_id, visitor_id)
            out.extend(ExportedLead(lead=lead) for lead in leads)  # the visitor's leads too
            await record(
                uow, principal.workspace_id, RightsAction.VISITOR_EXPORTED, now, sessions=len(out) - len(leads)
            )
            await uow.commit()
        return out
