"""UpdateLeadForm: replace an agent's lead form."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.leads import LeadForm, check_lead_form
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.leads.support import own_agent
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UpdateLeadForm:
    """Save the form as given, after :func:`check_lead_form` (at most 8 fields, distinct keys,
    choices with options, a privacy notice address for an enabled form, a retention of 1–120
    months). A shorter retention applies to the leads already stored at the next sweep."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, form: LeadForm) -> LeadForm:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await own_agent(uow, principal, agent_id)
            checked = check_lead_form(
                msgspec.structs.replace(
                    form, account_id=agent.account_id, agent_id=agent.id, updated_at=self._clock.now()
                )
            )
            await uow.leads.save_form(checked)
            await uow.commit()
        return checked
