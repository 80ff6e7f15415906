"""ListVisitorLeads: a visitor sees the details they left with an agent."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import check_visitor_id
from aioomi.domain.model.leads import Lead
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListVisitorLeads:
    """The leads this visitor id left with this agent, oldest first (the widget's "Your data":
    see and download)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, agent: Agent, visitor_id: str) -> list[Lead]:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            leads = await uow.leads.list_for_visitor(agent.account_id, visitor_id)
        return [lead for lead in leads if lead.agent_id == agent.id]
