"""The ResendInvitation use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.links import Links
from aioomi.domain.model.secrets import hash_token, new_token
from aioomi.domain.model.workspaces import Invitation, InvitationNotFound, check_grant
from aioomi.domain.usecases.workspaces.support import audit, invitation_email
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ResendInvitation:
    """Send an open invitation again with a new link and a new expiry.

    Rules: the caller may grant the invitation's role; not accepted or revoked (an expired one
    may be re-sent); the previous link stops working; audited; the mail leaves after the commit.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, links: Links) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._links = links

    async def __call__(self, principal: Principal, invitation_id: str) -> Invitation:
        now = self._clock.now()
        token = new_token()
        async with self._uow(account_id=principal.workspace_id) as uow:
            invitation = await uow.workspaces.get_invitation(principal.workspace_id, invitation_id)
            if invitation is None:
                raise InvitationNotFound("No such invitation.")
            check_grant(principal, invitation.role)
            invitation = invitation.resent(hash_token(token), now)
            await uow.workspaces.update_invitation(invitation)
            await audit(uow, principal, "invitation.resent", now, invitation.id)
            workspace = await uow.workspaces.get(principal.workspace_id)
            await uow.commit()
        name = workspace.name if workspace is not None else "a workspace"
        await self._mailer.send(invitation_email(invitation, name, token, self._links))
        return invitation
