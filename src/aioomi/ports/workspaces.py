"""The store of workspaces and their members. It works inside a unit of work scoped to one
workspace (the tenant), except :meth:`WorkspaceRepository.memberships_of` and
:meth:`WorkspaceRepository.solely_owned_by`, which look across workspaces for one person and run
in the system scope, and :meth:`WorkspaceRepository.owner_statuses` and :meth:`WorkspaceRepository.owner_contacts`,
which read the owners' account statuses and contacts across the wall for the scope's own
workspace."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.workspace_state import OwnerContact
from aioomi.domain.model.workspaces import AuditEvent, Invitation, Membership, Workspace


class WorkspaceRepository(Protocol):
    async def add(self, workspace: Workspace, owner: Membership) -> None:
        """Insert a workspace with its first member (its owner)."""
        ...

    async def get(self, workspace_id: str) -> Workspace | None: ...

    async def update(self, workspace: Workspace) -> None:
        """Replace the stored workspace's name and ``updated_at``."""
        ...

    async def members(self, workspace_id: str) -> list[Membership]:
        """Every member of the workspace, oldest first."""
        ...

    async def membership(self, workspace_id: str, account_id: str) -> Membership | None: ...

    async def put_member(self, membership: Membership) -> None:
        """Insert the membership, or replace the role of the existing one."""
        ...

    async def remove_member(self, workspace_id: str, account_id: str) -> bool:
        """Delete the membership; whether there was one."""
        ...

    async def memberships_of(self, account_id: str) -> list[Membership]:
        """Every workspace the person belongs to, oldest membership first (system scope)."""
        ...

    async def lock_person(self, account_id: str) -> None:
        """Hold the person's row until the transaction ends (system scope): two requests of one
        person that count what they own then add a workspace run one after the other."""
        ...

    async def solely_owned_by(self, account_id: str) -> list[str]:
        """Ids of the workspaces whose only owner is this person (system scope): what erasing the
        person deletes with them."""
        ...

    async def owner_statuses(self, workspace_id: str) -> list[AccountStatus]:
        """The account status of each owner of the workspace (sorted; empty when it has no owner
        left), read in the workspace's own scope although the owners' accounts are other
        tenants' rows: what :func:`~aioomi.domain.model.workspace_state.workspace_status` needs.
        Empty for a workspace the unit of work's scope may not see."""
        ...

    async def owner_contacts(self, workspace_id: str) -> list[OwnerContact]:
        """Whom the workspace's e-mail notices go to: every owner whose account is active and whose
        e-mail is verified, oldest membership first (then by account id). Read like
        :meth:`owner_statuses`, in the workspace's own scope across the wall; empty for a
        workspace the scope may not see."""
        ...

    # -- invitations ------------------------------------------------------------------------
    async def add_invitation(self, invitation: Invitation) -> None: ...

    async def update_invitation(self, invitation: Invitation) -> None:
        """Replace the stored invitation (same id): token, dates, acceptance, revocation."""
        ...

    async def get_invitation(self, workspace_id: str, invitation_id: str) -> Invitation | None: ...

    async def find_invitation_by_token_hash(self, token_hash: str) -> Invitation | None:
        """The invitation a link names (system scope), whatever its status."""
        ...

    async def open_invitations(self, workspace_id: str) -> list[Invitation]:
        """Invitations neither accepted nor revoked (expired ones too), newest first."""
        ...

    # -- the audit log ----------------------------------------------------------------------
    async def add_audit_event(self, event: AuditEvent) -> None: ...

    async def audit_events(self, workspace_id: str, limit: int) -> list[AuditEvent]:
        """The newest ``limit`` events of the workspace, newest first."""
        ...

    async def erase_actor(self, account_id: str) -> int:
        """Blank the person as the actor of audit events and as inviter (system scope; erasure)."""
        ...
