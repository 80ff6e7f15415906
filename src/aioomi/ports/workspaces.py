"""The store of workspaces and their members. It works inside a unit of work scoped to one
workspace (the tenant), except :meth:`WorkspaceRepository.memberships_of` and
:meth:`WorkspaceRepository.solely_owned_by`, which look across workspaces for one person and run
in the system scope."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.workspaces import Membership, Workspace


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

    async def solely_owned_by(self, account_id: str) -> list[str]:
        """Ids of the workspaces whose only owner is this person (system scope): what erasing the
        person deletes with them."""
        ...
