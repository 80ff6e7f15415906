"""The workspace store on Postgres, on the unit of work's connection (its transaction and
tenant scope apply); every tenant query also filters by workspace itself."""

from __future__ import annotations

import msgspec

from aioomi.adapters.postgres.repository import PostgresRepository, params_of, placeholders
from aioomi.domain.model.workspaces import Membership, Workspace

_WORKSPACE = "id, name, created_at, updated_at"
_MEMBER = "workspace_id, account_id, role, created_at"


class PostgresWorkspaceRepository(PostgresRepository):
    async def add(self, workspace: Workspace, owner: Membership) -> None:
        await self._execute(
            f"INSERT INTO workspaces ({_WORKSPACE}) VALUES ({placeholders(_WORKSPACE)})", params_of(workspace)
        )
        await self.put_member(owner)

    async def get(self, workspace_id: str) -> Workspace | None:
        row = await self._row(f"SELECT {_WORKSPACE} FROM workspaces WHERE id = %s", (workspace_id,))
        return None if row is None else msgspec.convert(row, Workspace)

    async def update(self, workspace: Workspace) -> None:
        await self._execute(
            "UPDATE workspaces SET name = %(name)s, updated_at = %(updated_at)s WHERE id = %(id)s",
            params_of(workspace),
        )

    async def members(self, workspace_id: str) -> list[Membership]:
        rows = await self._rows(
            f"SELECT {_MEMBER} FROM workspace_members WHERE workspace_id = %s ORDER BY created_at, account_id",
            (workspace_id,),
        )
        return [msgspec.convert(r, Membership) for r in rows]

    async def membership(self, workspace_id: str, account_id: str) -> Membership | None:
        row = await self._row(
            f"SELECT {_MEMBER} FROM workspace_members WHERE workspace_id = %s AND account_id = %s",
            (workspace_id, account_id),
        )
        return None if row is None else msgspec.convert(row, Membership)

    async def put_member(self, membership: Membership) -> None:
        await self._execute(
            f"INSERT INTO workspace_members ({_MEMBER}) VALUES ({placeholders(_MEMBER)}) "
            "ON CONFLICT (workspace_id, account_id) DO UPDATE SET role = EXCLUDED.role",
            params_of(membership),
        )

    async def remove_member(self, workspace_id: str, account_id: str) -> bool:
        return 1 == await self._execute(
            "DELETE FROM workspace_members WHERE workspace_id = %s AND account_id = %s", (workspace_id, account_id)
        )

    async def memberships_of(self, account_id: str) -> list[Membership]:
        rows = await self._rows(
            f"SELECT {_MEMBER} FROM workspace_members WHERE account_id = %s ORDER BY created_at, workspace_id",
            (account_id,),
        )
        return [msgspec.convert(r, Membership) for r in rows]

    async def solely_owned_by(self, account_id: str) -> list[str]:
        rows = await self._rows(
            "SELECT m.workspace_id FROM workspace_members m WHERE m.account_id = %(a)s AND m.role = 'owner' "
            "AND NOT EXISTS (SELECT 1 FROM workspace_members o WHERE o.workspace_id = m.workspace_id "
            "AND o.role = 'owner' AND o.account_id <> %(a)s) ORDER BY m.workspace_id",
            {"a": account_id},
        )
        return [r["workspace_id"] for r in rows]
