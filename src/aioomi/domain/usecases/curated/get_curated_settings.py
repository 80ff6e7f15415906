"""The owner reads how an agent uses its curated answers."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetCuratedSettings:
    """The agent's curated-answer settings (the defaults until the owner chose: ``passage`` at
    0.8). Another account's agent is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> CuratedSettings:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await uow.curated_settings.get(principal.account_id, agent.id) or CuratedSettings()
