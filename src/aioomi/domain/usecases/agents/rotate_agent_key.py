"""The RotateAgentKey use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    Agent,
    new_public_key,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RotateAgentKey:
    """Give an agent a new public widget key. The old key stops working at once (widgets that
    still use it are refused); the owner pastes the new snippet into their site."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> Agent:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id, for_update=True)
            rotated = msgspec.structs.replace(agent, public_key=new_public_key(), updated_at=self._clock.now())
            await uow.agents.update(rotated)
            await uow.commit()
        return rotated
