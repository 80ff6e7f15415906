"""The workspace store in memory, with the same semantics as the Postgres one."""

from __future__ import annotations

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.workspaces import Membership, Role, Workspace


def _member_key(workspace_id: str, account_id: str) -> str:
    return f"{workspace_id}\x00{account_id}"


class InMemoryWorkspaceRepository:
    def __init__(self, workspaces: Table[Workspace], members: Table[Membership]) -> None:
        self._workspaces = workspaces
        self._members = members

    async def add(self, workspace: Workspace, owner: Membership) -> None:
        self._workspaces.put(workspace.id, workspace)
        await self.put_member(owner)

    async def get(self, workspace_id: str) -> Workspace | None:
        return self._workspaces.get(workspace_id)

    async def update(self, workspace: Workspace) -> None:
        if self._workspaces.get(workspace.id) is not None:
            self._workspaces.put(workspace.id, workspace)

    async def members(self, workspace_id: str) -> list[Membership]:
        found = [m for m in self._members.values() if m.workspace_id == workspace_id]
        return sorted(found, key=lambda m: (m.created_at, m.account_id))

    async def membership(self, workspace_id: str, account_id: str) -> Membership | None:
        return self._members.get(_member_key(workspace_id, account_id))

    async def put_member(self, membership: Membership) -> None:
        key = _member_key(membership.workspace_id, membership.account_id)
        existing = self._members.get(key)
        stored = (
            membership
            if existing is None
            else Membership(
                workspace_id=existing.workspace_id,
                account_id=existing.account_id,
                role=membership.role,
                created_at=existing.created_at,
            )
        )
        self._members.put(key, stored)

    async def remove_member(self, workspace_id: str, account_id: str) -> bool:
        key = _member_key(workspace_id, account_id)
        if self._members.get(key) is None:
            return False
        self._members.delete(key)
        return True

    async def memberships_of(self, account_id: str) -> list[Membership]:
        found = [m for m in self._members.values() if m.account_id == account_id]
        return sorted(found, key=lambda m: (m.created_at, m.workspace_id))

    async def solely_owned_by(self, account_id: str) -> list[str]:
        owners: dict[str, set[str]] = {}
        for m in self._members.values():
            if m.role is Role.OWNER:
                owners.setdefault(m.workspace_id, set()).add(m.account_id)
        return sorted(w for w, people in owners.items() if people == {account_id})
