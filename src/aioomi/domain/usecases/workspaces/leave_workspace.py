"""The LeaveWorkspace use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.usecases.workspaces.support import audit, existing_member
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class LeaveWorkspace:
    """The caller leaves the workspace they act in.

    Rules: any member may leave, except the last owner (``last_owner``: transfer the ownership
    first); their next request acts in their own workspace; audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> None:
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            member, members = await existing_member(uow, principal.workspace_id, principal.account_id)
            member.leave(members)
            await uow.workspaces.remove_member(principal.workspace_id, principal.account_id)
            await audit(uow, principal, "member.left", now, principal.account_id, role=str(member.role))
            await uow.commit()
