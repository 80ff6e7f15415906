"""The ListMembers use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Membership, Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class Member(msgspec.Struct, frozen=True, kw_only=True):
    membership: Membership
    email: str
    full_name: str


class ListMembers:
    """The workspace's members with their e-mail and name, oldest first.

    Rules: the caller manages members (admins and owners); the people's profiles are read in the
    system scope, only for the workspace's own members.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[Member]:
        ensure_permitted(principal, Permission.MANAGE_MEMBERS)
        async with self._uow(account_id=principal.workspace_id, read_only=True) as uow:
            members = await uow.workspaces.members(principal.workspace_id)
        found = []
        async with self._uow(account_id=None, read_only=True) as uow:
            for membership in members:
                account = await uow.accounts.get(membership.account_id)
                if account is not None:
                    found.append(Member(membership=membership, email=account.email, full_name=account.full_name))
        return found
