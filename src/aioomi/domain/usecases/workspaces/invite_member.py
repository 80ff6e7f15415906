"""The InviteMember use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal, normalize_email
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.links import Links
from aioomi.domain.model.secrets import hash_token, new_token
from aioomi.domain.model.workspaces import (
    INVITATION_LIFETIME,
    MAX_PENDING_INVITATIONS,
    AlreadyMember,
    Invitation,
    Role,
    TooManyInvitations,
    check_grant,
)
from aioomi.domain.usecases.workspaces.support import audit, invitation_email
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class InviteMember:
    """Invite someone by e-mail to the caller's workspace with a role.

    Rules: the caller manages members and grants only roles within their own (never owner:
    ownership moves by a transfer); a person already a member cannot be invited again; an open
    invitation to the same address is replaced (its link stops working); at most
    ``MAX_PENDING_INVITATIONS`` open ones; the link's token is stored hashed, expires after
    ``INVITATION_LIFETIME`` and leaves by the mail port after the commit; audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, links: Links) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._links = links

    async def __call__(self, principal: Principal, email: str, role: Role) -> Invitation:
        check_grant(principal, role)
        email = normalize_email(email)
        now = self._clock.now()
        token = new_token()
        async with self._uow(account_id=None) as uow:  # the invitee's account: a system-scope look-up
            invitee = await uow.accounts.find_by_email(email)
        async with self._uow(account_id=principal.workspace_id) as uow:
            if invitee is not None and await uow.workspaces.membership(principal.workspace_id, invitee.id):
                raise AlreadyMember("That person is already a member of this workspace.")
            open_ones = await uow.workspaces.open_invitations(principal.workspace_id)
            same = [o for o in open_ones if o.email.lower() == email.lower()]
            for older in same:
                await uow.workspaces.update_invitation(msgspec.structs.replace(older, revoked_at=now))
            if len(open_ones) - len(same) >= MAX_PENDING_INVITATIONS:
                raise TooManyInvitations(f"At most {MAX_PENDING_INVITATIONS} open invitations; revoke one first.")
            invitation = Invitation(
                id=new_id("inv"),
                workspace_id=principal.workspace_id,
                email=email,
                role=role,
                token_hash=hash_token(token),
                invited_by=principal.account_id,
                created_at=now,
                expires_at=now + INVITATION_LIFETIME,
                sent_at=now,
            )
            await uow.workspaces.add_invitation(invitation)
            await audit(uow, principal, "invitation.created", now, invitation.id, role=str(role))
            workspace = await uow.workspaces.get(principal.workspace_id)
            await uow.commit()
        name = workspace.name if workspace is not None else "a workspace"
        await self._mailer.send(invitation_email(invitation, name, token, self._links))
        return invitation
