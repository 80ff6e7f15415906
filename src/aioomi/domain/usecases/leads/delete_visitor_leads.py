"""DeleteVisitorLeads: a visitor deletes the details they left with an agent."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import check_visitor_id
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteVisitorLeads:
    """Delete, for good, every lead this visitor id left with this agent; return how many."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, agent: Agent, visitor_id: str) -> int:
        check_visitor_id(visitor_id)
        async with self._uow(account_id=agent.account_id) as uow:
            leads = [
                lead
                for lead in await uow.leads.list_for_visitor(agent.account_id, visitor_id)
                if lead.agent_id == agent.id
            ]
            for lead in leads:
                await uow.leads.delete_lead(agent.account_id, lead.id)
            await uow.commit()
        return len(leads)
