"""The workspace store on Postgres, on the unit of work's connection (its transaction and
tenant scope apply); every tenant query also filters by workspace itself."""

from __future__ import annotations

import msgspec

from aioomi.adapters.postgres.repository import PostgresRepository, params_of, placeholders
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.workspace_state import OwnerContact
from aioomi.domain.model.workspaces import AuditEvent, Invitation, Membership, Workspace

_WORKSPACE = "id, name, created_at, updated_at"
_MEMBER = "workspace_id, account_id, role, created_at"
_INVITATION = (
    "id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, sent_at, accepted_at, "
    "accepted_by, revoked_at"
)
_AUDIT = "id, workspace_id, actor_id, action, subject, detail, at"


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

    async def lock_person(self, account_id: str) -> None:
        await self._execute("SELECT 1 FROM accounts WHERE id = %s FOR UPDATE", (account_id,))

    async def solely_owned_by(self, account_id: str) -> list[str]:
        rows = await self._rows(
            "SELECT m.workspace_id FROM workspace_members m WHERE m.account_id = %(a)s AND m.role = 'owner' "
            "AND NOT EXISTS (SELECT 1 FROM workspace_members o WHERE o.workspace_id = m.workspace_id "
            "AND o.role = 'owner' AND o.account_id <> %(a)s) ORDER BY m.workspace_id",
            {"a": account_id},
        )
        return [r["workspace_id"] for r in rows]

    async def owner_statuses(self, workspace_id: str) -> list[AccountStatus]:
        # Migration 0047's function: the owners' accounts are other tenants' rows, which the
        # workspace's scope cannot see; it reads them for a workspace the scope may see only.
        row = await self._row("SELECT aioomi_owner_statuses(%s) AS statuses", (workspace_id,))
        return [AccountStatus(s) for s in (row["statuses"] if row else None) or []]

    async def owner_contacts(self, workspace_id: str) -> list[OwnerContact]:
        # Migration 0052's function, built like 0047's: the active, verified owners' e-mail
        # and name, for a workspace the scope may see only.
        rows = await self._rows(
            "SELECT account_id, email, full_name FROM aioomi_owner_contacts(%s) ORDER BY ord", (workspace_id,)
        )
        return [msgspec.convert(r, OwnerContact) for r in rows]

    # -- invitations ------------------------------------------------------------------------
    async def add_invitation(self, invitation: Invitation) -> None:
        await self._execute(
            f"INSERT INTO workspace_invitations ({_INVITATION}) VALUES ({placeholders(_INVITATION)})",
            params_of(invitation),
        )

    async def update_invitation(self, invitation: Invitation) -> None:
        await self._execute(
            "UPDATE workspace_invitations SET token_hash = %(token_hash)s, expires_at = %(expires_at)s, "
            "sent_at = %(sent_at)s, accepted_at = %(accepted_at)s, accepted_by = %(accepted_by)s, "
            "revoked_at = %(revoked_at)s WHERE id = %(id)s AND workspace_id = %(workspace_id)s",
            params_of(invitation),
        )

    async def get_invitation(self, workspace_id: str, invitation_id: str) -> Invitation | None:
        row = await self._row(
            f"SELECT {_INVITATION} FROM workspace_invitations WHERE workspace_id = %s AND id = %s",
            (workspace_id, invitation_id),
        )
        return None if row is None else msgspec.convert(row, Invitation)

    async def find_invitation_by_token_hash(self, token_hash: str) -> Invitation | None:
        row = await self._row(f"SELECT {_INVITATION} FROM workspace_invitations WHERE token_hash = %s", (token_hash,))
        return None if row is None else msgspec.convert(row, Invitation)

    async def open_invitations(self, workspace_id: str) -> list[Invitation]:
        rows = await self._rows(
            f"SELECT {_INVITATION} FROM workspace_invitations WHERE workspace_id = %s AND accepted_at IS NULL "
            "AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
            (workspace_id,),
        )
        return [msgspec.convert(r, Invitation) for r in rows]

    # -- the audit log ----------------------------------------------------------------------
    async def add_audit_event(self, event: AuditEvent) -> None:
        await self._execute(f"INSERT INTO audit_events ({_AUDIT}) VALUES ({placeholders(_AUDIT)})", params_of(event))

    async def audit_events(self, workspace_id: str, limit: int) -> list[AuditEvent]:
        rows = await self._rows(
            f"SELECT {_AUDIT} FROM audit_events WHERE workspace_id = %s ORDER BY at DESC, id DESC LIMIT %s",
            (workspace_id, limit),
        )
        return [msgspec.convert(r, AuditEvent) for r in rows]

    async def erase_actor(self, account_id: str) -> int:
        blanked = await self._execute(
            "UPDATE audit_events SET actor_id = CASE WHEN actor_id = %(a)s THEN NULL ELSE actor_id END, "
            "subject = CASE WHEN subject = %(a)s THEN NULL ELSE subject END "
            "WHERE actor_id = %(a)s OR subject = %(a)s",
            {"a": account_id},
        )
        return blanked + await self._execute(
            "UPDATE workspace_invitations SET invited_by = NULL WHERE invited_by = %s", (account_id,)
        )
