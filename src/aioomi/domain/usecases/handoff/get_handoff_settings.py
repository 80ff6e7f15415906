"""GetHandoffSettings: an agent's handoff settings, for its owner."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.handoff import HandoffSettings
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.handoff.support import settings_of
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetHandoffSettings:
    """The agent's handoff settings.

    Rules: another account's agent is ``agent_not_found``; an agent whose owner never set
    them has the defaults (handoff off; Monday–Friday 09:00–17:00 UTC; 5 minutes' wait)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> HandoffSettings:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await settings_of(uow, agent.account_id, agent.id)
