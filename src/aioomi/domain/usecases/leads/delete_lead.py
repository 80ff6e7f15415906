"""DeleteLead: the owner deletes a lead."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.leads import LeadNotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteLead:
    """Delete the caller's lead for good (``lead_not_found`` for another account's)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, lead_id: str) -> None:
        ensure_permitted(principal, Permission.MANAGE_LEADS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            if not await uow.leads.delete_lead(principal.workspace_id, lead_id):
                raise LeadNotFound("No such lead.")
            await uow.commit()
