"""ListRefusedOrigins: the pages an agent's widget was refused on, for the owner to allow."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import RefusedOrigin
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListRefusedOrigins:
    """The origins the widget was refused on, newest first.

    Rules: the agent must be the caller's (``agent_not_found``); an origin the agent allows now
    is not listed (the owner already fixed it); at most the newest few are kept per agent.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> list[RefusedOrigin]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            refused = await uow.agents.refused_origins(principal.workspace_id, agent.id)
        return [r for r in refused if r.origin not in agent.allowed_origins]
