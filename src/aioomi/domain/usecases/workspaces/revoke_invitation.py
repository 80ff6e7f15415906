"""The RevokeInvitation use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import InvitationNotFound, check_grant
from aioomi.domain.usecases.workspaces.support import audit
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RevokeInvitation:
    """Withdraw a pending invitation: its link stops working at once.

    Rules: the caller may grant the invitation's role; only a pending one (else
    ``invitation_not_pending``); another workspace's id answers ``invitation_not_found``; audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, invitation_id: str) -> None:
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            invitation = await uow.workspaces.get_invitation(principal.workspace_id, invitation_id)
            if invitation is None:
                raise InvitationNotFound("No such invitation.")
            check_grant(principal, invitation.role)
            await uow.workspaces.update_invitation(invitation.revoked(now))
            await audit(uow, principal, "invitation.revoked", now, invitation.id)
            await uow.commit()
