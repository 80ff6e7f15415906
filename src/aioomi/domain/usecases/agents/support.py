"""What the agents use cases share."""

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


AGENT_ID_PREFIX = "agt"


async def find_own_agent(agents: AgentRepository, principal: Principal, agent_id: str, *, for_update: bool = False) -> Agent:
    """The caller's agent, or :class:`AgentNotFound`: another account's agent is not found
    either, exactly like a missing one."""
    agent = None
    if is_id(agent_id, AGENT_ID_PREFIX):
        agent = await agents.get(principal.account_id, agent_id, for_update=for_update)
    if agent is None:
        raise AgentNotFound("No such agent.")
    return agent
