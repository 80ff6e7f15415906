"""What the agents use cases share."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    Agent,
    AgentNotFound,
)
from aioomi.domain.model.ids import is_id
from aioomi.ports.agents import AgentRepository

AGENT_ID_PREFIX = "agt"


async def find_own_agent(
    agents: AgentRepository, principal: Principal, agent_id: str, *, for_update: bool = False
) -> Agent:
    """The caller's agent, or :class:`AgentNotFound`: another account's agent is not found
    either, exactly like a missing one."""
    agent = None
    if is_id(agent_id, AGENT_ID_PREFIX):
        agent = await agents.get(principal.workspace_id, agent_id, for_update=for_update)
    if agent is None:
        raise AgentNotFound("No such agent.")
    return agent
