"""The ChangeMemberRole use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Membership, Permission, Role, check_grant, ensure_permitted
from aioomi.domain.usecases.workspaces.support import audit, existing_member
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ChangeMemberRole:
    """Give a member another role.

    Rules: nobody is made owner here (ownership moves by a transfer); the caller grants only
    roles within their own and changes only members whose role is within their own (an admin
    never touches an owner); an owner may step a co-owner down, never the last owner
    (``last_owner``); the change holds from the member's next request; audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, account_id: str, role: Role) -> Membership:
        check_grant(principal, role)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            member, members = await existing_member(uow, principal.workspace_id, account_id)
            if member.role is Role.OWNER:
                ensure_permitted(principal, Permission.TRANSFER_OWNERSHIP)
            else:
                check_grant(principal, member.role)
            changed = member.with_role(role, members)
            await uow.workspaces.put_member(changed)
            await audit(uow, principal, "member.role_changed", now, account_id, role=str(role), was=str(member.role))
            await uow.commit()
        return changed
