"""The owner reads how an agent uses its curated answers."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetCuratedSettings:
    """The agent's curated-answer settings (the defaults until the owner chose: ``passage`` at
    0.8). Another account's agent is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> CuratedSettings:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await uow.curated_settings.get(principal.workspace_id, agent.id) or CuratedSettings()
