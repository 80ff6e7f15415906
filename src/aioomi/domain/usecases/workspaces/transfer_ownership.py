"""The TransferOwnership use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.workspaces import Permission, Role, ensure_permitted
from aioomi.domain.usecases.workspaces.support import audit, existing_member
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class TransferOwnership:
    """Hand the workspace to another member.

    Rules: only an owner; the new owner is already a member (``member_not_found``); they become
    owner and the caller becomes admin, in one transaction (the workspace never lacks an owner);
    billing, the plan and the data stay with the workspace; audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, to_account_id: str) -> None:
        ensure_permitted(principal, Permission.TRANSFER_OWNERSHIP)
        if to_account_id == principal.account_id:
            raise InvalidInput("You already own this workspace.", code="cannot_transfer_to_self")
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            target, members = await existing_member(uow, principal.workspace_id, to_account_id)
            me, _ = await existing_member(uow, principal.workspace_id, principal.account_id)
            new_owner = target.with_role(Role.OWNER, members)
            await uow.workspaces.put_member(new_owner)
            await uow.workspaces.put_member(me.with_role(Role.ADMIN, [*members, new_owner]))
            await audit(uow, principal, "ownership.transferred", now, to_account_id)
            await uow.commit()
