"""The workspace store in memory, with the same semantics as the Postgres one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from aioomi.adapters.memory.tables import MemoryDatabase, Table
from aioomi.domain.model.accounts import Account, AccountStatus
from aioomi.domain.model.workspace_state import OwnerAnalytics, OwnerContact
from aioomi.domain.model.workspaces import AuditEvent, Invitation, Membership, Role, Workspace


def _member_key(workspace_id: str, account_id: str) -> str:
    return f"{workspace_id}\x00{account_id}"


def owner_statuses_of(
    workspace_id: str, members: Iterable[Membership], accounts: Mapping[str, Account]
) -> list[AccountStatus]:
    """The statuses of the workspace's owners whose accounts exist, sorted: the memory
    counterpart of the Postgres function ``aioomi_owner_statuses`` (``accounts`` unscoped)."""
    found = (accounts.get(m.account_id) for m in members if m.workspace_id == workspace_id and m.role is Role.OWNER)
    return sorted(a.status for a in found if a is not None)


def owner_contacts_of(
    workspace_id: str, members: Iterable[Membership], accounts: Mapping[str, Account]
) -> list[OwnerContact]:
    """The active, verified owners of the workspace, oldest membership first: the memory
    counterpart of the Postgres function ``aioomi_owner_contacts`` (``accounts`` unscoped)."""
    owners = sorted(
        (m for m in members if m.workspace_id == workspace_id and m.role is Role.OWNER),
        key=lambda m: (m.created_at, m.account_id),
    )
    found = (accounts.get(m.account_id) for m in owners)
    return [
        OwnerContact(account_id=a.id, email=a.email, full_name=a.full_name)
        for a in found
        if a is not None and a.status is AccountStatus.ACTIVE and a.email_verified
    ]


def owner_analytics(database: MemoryDatabase, workspace_id: str) -> list[OwnerAnalytics]:
    """What the request-log rule needs of each owner of the workspace, from the committed tables."""
    accounts, privacy = database.table("accounts"), database.table("account_privacy")
    found = []
    for m in database.table("workspace_members").values():
        account = accounts.get(m.account_id)
        if m.workspace_id != workspace_id or m.role is not Role.OWNER or account is None:
            continue
        state = privacy.get(m.account_id)
        found.append(
            OwnerAnalytics(
                status=account.status,
                objected=state is not None and state.objected_at is not None,
                restricted=state is not None and state.restricted_at is not None,
            )
        )
    return found


class InMemoryWorkspaceRepository:
    def __init__(
        self,
        workspaces: Table[Workspace],
        members: Table[Membership],
        invitations: Table[Invitation],
        audit: Table[AuditEvent],
        accounts: Table[Account] | None = None,
    ) -> None:
        self._accounts = accounts
        self._workspaces = workspaces
        self._members = members
        self._invitations = invitations
        self._audit = audit

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

    async def lock_person(self, account_id: str) -> None:
        return None  # in memory the count and the insert run without yielding to another request

    async def solely_owned_by(self, account_id: str) -> list[str]:
        owners: dict[str, set[str]] = {}
        for m in self._members.values():
            if m.role is Role.OWNER:
                owners.setdefault(m.workspace_id, set()).add(m.account_id)
        return sorted(w for w, people in owners.items() if people == {account_id})

    async def owner_statuses(self, workspace_id: str) -> list[AccountStatus]:
        # The members' table is scoped (a workspace the scope may not see has none); the
        # accounts are read unscoped, with this unit's own changes, as the Postgres function does.
        accounts = self._accounts.rows if self._accounts is not None else {}
        return owner_statuses_of(workspace_id, self._members.values(), accounts)

    async def owner_contacts(self, workspace_id: str) -> list[OwnerContact]:
        accounts = self._accounts.rows if self._accounts is not None else {}
        return owner_contacts_of(workspace_id, self._members.values(), accounts)

    # -- invitations ------------------------------------------------------------------------
    async def add_invitation(self, invitation: Invitation) -> None:
        self._invitations.put(invitation.id, invitation)

    async def update_invitation(self, invitation: Invitation) -> None:
        stored = self._invitations.get(invitation.id)
        if stored is not None and stored.workspace_id == invitation.workspace_id:
            self._invitations.put(invitation.id, invitation)

    async def get_invitation(self, workspace_id: str, invitation_id: str) -> Invitation | None:
        found = self._invitations.get(invitation_id)
        return found if found is not None and found.workspace_id == workspace_id else None

    async def find_invitation_by_token_hash(self, token_hash: str) -> Invitation | None:
        return next((i for i in self._invitations.values() if i.token_hash == token_hash), None)

    async def open_invitations(self, workspace_id: str) -> list[Invitation]:
        found = [
            i
            for i in self._invitations.values()
            if i.workspace_id == workspace_id and i.accepted_at is None and i.revoked_at is None
        ]
        return sorted(found, key=lambda i: (i.created_at, i.id), reverse=True)

    # -- the audit log ----------------------------------------------------------------------
    async def add_audit_event(self, event: AuditEvent) -> None:
        self._audit.put(event.id, event)

    async def audit_events(self, workspace_id: str, limit: int) -> list[AuditEvent]:
        found = [e for e in self._audit.values() if e.workspace_id == workspace_id]
        return sorted(found, key=lambda e: (e.at, e.id), reverse=True)[:limit]

    async def erase_actor(self, account_id: str) -> int:
        blanked = 0
        for event in list(self._audit.values()):
            if account_id in (event.actor_id, event.subject):
                self._audit.put(
                    event.id,
                    msgspec.structs.replace(
                        event,
                        actor_id=None if event.actor_id == account_id else event.actor_id,
                        subject=None if event.subject == account_id else event.subject,
                    ),
                )
                blanked += 1
        for invitation in list(self._invitations.values()):
            if invitation.invited_by == account_id:
                self._invitations.put(invitation.id, msgspec.structs.replace(invitation, invited_by=None))
                blanked += 1
        return blanked
