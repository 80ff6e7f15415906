"""The ListMyWorkspaces use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Role
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class MyWorkspace(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    role: Role
    current: bool


class ListMyWorkspaces:
    """The workspaces the calling person belongs to, with their role in each.

    Rules: only the caller's own memberships (a system-scope read filtered by the person);
    the one the request acts in is ``current``; their own workspace first, then the others
    by membership age.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[MyWorkspace]:
        async with self._uow(account_id=None, read_only=True) as uow:
            found = []
            memberships = await uow.workspaces.memberships_of(principal.account_id)
            memberships.sort(key=lambda m: m.workspace_id != principal.account_id)  # stable: own first
            for membership in memberships:
                workspace = await uow.workspaces.get(membership.workspace_id)
                if workspace is None:
                    continue
                found.append(
                    MyWorkspace(
                        id=workspace.id,
                        name=workspace.name,
                        role=membership.role,
                        current=workspace.id == principal.workspace_id,
                    )
                )
        return found
