"""The RotateAgentKey use case."""

from __future__ import annotations

import msgspec
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    MAX_AGENTS_PER_ACCOUNT,
    Agent,
    AgentChanges,
    AgentNotFound,
    AgentSettings,
    TooManyAgents,
    apply_changes,
    check_agent_settings,
    new_public_key,
)
from aioomi.domain.model.billing import enforce_agent_limit
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.ports.agents import AgentRepository
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory
from aioomi.domain.usecases.agents.support import find_own_agent


class RotateAgentKey:
    """Give an agent a new public widget key. The old key stops working at once (widgets that
    still use it are refused); the owner pastes the new snippet into their site."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> Agent:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id, for_update=True)
            rotated = msgspec.structs.replace(agent, public_key=new_public_key(), updated_at=self._clock.now())
            await uow.agents.update(rotated)
            await uow.commit()
        return rotated
