"""GetAgent: One of the caller's agents; any other id is not found."""

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


class GetAgent:
    """One of the caller's agents; any other id is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> Agent:
        async with self._uow(account_id=principal.account_id) as uow:
            return await find_own_agent(uow.agents, principal, agent_id)
