"""What the lead use cases share."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent, AgentNotFound
from aioomi.domain.model.leads import LeadForm, default_form
from aioomi.ports.unit_of_work import UnitOfWork


async def own_agent(uow: UnitOfWork, principal: Principal, agent_id: str) -> Agent:
    agent = await uow.agents.get(principal.workspace_id, agent_id)
    if agent is None:
        raise AgentNotFound("No such agent.")
    return agent


async def form_of(uow: UnitOfWork, agent: Agent) -> LeadForm:
    """The agent's form, or the default one (switched off) when none was saved."""
    return await uow.leads.get_form(agent.account_id, agent.id) or default_form(agent.account_id, agent.id)
