"""ListAgentNames: the workspace's agents by id and name, for whoever reads its conversations."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentName
from aioomi.domain.model.pagination import MAX_PAGE_SIZE, PageKey
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListAgentNames:
    """The workspace's agents by id and name only, newest first.

    Rules: the caller may read conversations (``view_conversations``: a support member picks an
    agent's conversations, the inbox and leads by agent) — reading the agents' settings asks
    ``view_workspace`` (:class:`~aioomi.domain.usecases.agents.list_agents.ListAgents`); nothing
    but the id and the name leaves; every agent of the workspace, in one transaction.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[AgentName]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        names: list[AgentName] = []
        after = None
        async with self._uow(account_id=principal.workspace_id, read_only=True) as uow:
            while True:
                found = await uow.agents.list_page(principal.workspace_id, limit=MAX_PAGE_SIZE, after=after)
                names += [AgentName(id=a.id, name=a.name) for a in found]
                if len(found) < MAX_PAGE_SIZE:
                    return names
                after = PageKey(created_at=found[-1].created_at, id=found[-1].id)
