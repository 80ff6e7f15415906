"""The RemoveMember use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.workspaces import Permission, Role, check_grant, ensure_permitted
from aioomi.domain.usecases.workspaces.support import audit, existing_member
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RemoveMember:
    """Take a member out of the workspace.

    Rules: the caller manages members and removes only members whose role is within their own
    (an owner only by an owner, never the last one: ``last_owner``); leaving oneself is
    ``LeaveWorkspace``; their sessions lose the workspace at their next request (the membership
    is read with every request) and the API keys they made stop at once; audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, account_id: str) -> None:
        ensure_permitted(principal, Permission.MANAGE_MEMBERS)
        if account_id == principal.account_id:
            raise InvalidInput("To leave the workspace yourself, use leave.", code="cannot_remove_self")
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            member, members = await existing_member(uow, principal.workspace_id, account_id)
            if member.role is Role.OWNER:
                ensure_permitted(principal, Permission.TRANSFER_OWNERSHIP)
            else:
                check_grant(principal, member.role)
            member.leave(members)
            await uow.workspaces.remove_member(principal.workspace_id, account_id)
            await audit(uow, principal, "member.removed", now, account_id, role=str(member.role))
            await uow.commit()
