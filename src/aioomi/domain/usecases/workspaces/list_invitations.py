"""The ListInvitations use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Invitation, InvitationStatus, Permission, ensure_permitted
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class InvitationView(msgspec.Struct, frozen=True, kw_only=True):
    invitation: Invitation
    status: InvitationStatus


class ListInvitations:
    """The workspace's open invitations (pending or expired, not accepted or revoked), newest
    first. Rules: the caller manages members."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> list[InvitationView]:
        ensure_permitted(principal, Permission.MANAGE_MEMBERS)
        async with self._uow(account_id=principal.workspace_id, read_only=True) as uow:
            found = await uow.workspaces.open_invitations(principal.workspace_id)
        now = self._clock.now()
        return [InvitationView(invitation=i, status=i.status(now)) for i in found]
