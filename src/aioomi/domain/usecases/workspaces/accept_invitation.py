"""The AcceptInvitation use case."""

from __future__ import annotations

from aioomi.domain.model.workspaces import InvitationNotFound, Membership
from aioomi.domain.usecases.workspaces.support import join_by_invitation
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class AcceptInvitation:
    """The invited person joins the workspace with the invitation's role.

    Rules: the link's token names a pending invitation (else ``invitation_not_found`` or
    ``invitation_not_pending``); the person accepting is signed in (or has just signed up) with
    the address it was sent to (else ``invitation_email_mismatch``); not already a member; the
    invitation is used once; the membership and the audit record are written together. Used by
    a signed-in person and by sign-up with an invitation token.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, account_id: str, token: str) -> Membership:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:  # the link names the workspace: system scope
            account = await uow.accounts.get(account_id)
            if account is None:
                raise InvitationNotFound("This invitation link is not valid.")
            membership = await join_by_invitation(uow, token, account, now)
            await uow.commit()
        return membership
