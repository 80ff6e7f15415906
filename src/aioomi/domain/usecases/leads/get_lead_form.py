"""GetLeadForm: an agent's lead form, for its owner."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.leads import LeadForm
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.leads.support import form_of, own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetLeadForm:
    """The caller's agent's form (``agent_not_found`` for another account's); an agent that never
    had one gets the default: name and e-mail, switched off."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> LeadForm:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            return await form_of(uow, await own_agent(uow, principal, agent_id))
