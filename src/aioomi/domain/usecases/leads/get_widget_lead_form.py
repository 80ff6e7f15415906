"""GetWidgetLeadForm: the form the widget shows, if the agent has one switched on."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.leads import LeadForm
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetWidgetLeadForm:
    """The agent's enabled form, or ``None`` (no form, or switched off)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, agent: Agent) -> LeadForm | None:
        async with self._uow(account_id=agent.account_id) as uow:
            form = await uow.leads.get_form(agent.account_id, agent.id)
        return form if form is not None and form.enabled else None
