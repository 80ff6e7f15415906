"""Workspaces, their members and roles: who may do what in a tenant.

A workspace is the tenant: agents, knowledge, conversations, leads, usage, billing, API keys and
webhooks belong to it. A person (an :class:`~aioomi.domain.model.accounts.Account`) belongs to
one or more workspaces, each time with one :class:`Role`. Every person gets their own workspace
at sign-up, with the same id as their account (:func:`personal_workspace`), so a tenant row's
``account_id`` column names its workspace.

The roles' rights are one explicit table, :data:`ROLE_PERMISSIONS`; a use case asks
:func:`ensure_permitted` before it writes or reads restricted data.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import msgspec

from aioomi.domain.model.errors import Conflict, Forbidden, InvalidInput

MAX_WORKSPACE_NAME = 100
PERSONAL_WORKSPACE_NAME = "My workspace"


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    SUPPORT = "support"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    """One right in a workspace. Reading is split where a role sees only part of the data."""

    VIEW_WORKSPACE = "view_workspace"  # agents, knowledge, sources, analytics, usage (read)
    VIEW_CONVERSATIONS = "view_conversations"  # conversations, the handoff inbox (read)
    VIEW_LEADS = "view_leads"
    EDIT_AGENTS = "edit_agents"  # agents, their widget, lead form, curated answers, handoff settings
    EDIT_KNOWLEDGE = "edit_knowledge"  # documents, sources, Q&A pairs, embedding model
    MANAGE_CONVERSATIONS = "manage_conversations"  # delete or export conversations, review them
    RUN_TESTS = "run_tests"  # test questions and their runs
    HANDLE_HANDOFFS = "handle_handoffs"  # take, answer and hand back conversations
    MANAGE_LEADS = "manage_leads"  # export and delete leads
    MANAGE_INTEGRATIONS = "manage_integrations"  # API keys, webhooks
    MANAGE_MEMBERS = "manage_members"  # invite, remove, change roles (never to or from owner)
    MANAGE_BILLING = "manage_billing"  # plans, checkout, portal, caps, invoices
    TRANSFER_OWNERSHIP = "transfer_ownership"
    DELETE_WORKSPACE = "delete_workspace"


_P = Permission
_READ: Final = frozenset({_P.VIEW_WORKSPACE, _P.VIEW_CONVERSATIONS, _P.VIEW_LEADS})
_ADMIN: Final = frozenset(Permission) - {_P.MANAGE_BILLING, _P.TRANSFER_OWNERSHIP, _P.DELETE_WORKSPACE}

ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    # billing, members, deleting the workspace: everything
    Role.OWNER: frozenset(Permission),
    # everything but billing and ownership
    Role.ADMIN: _ADMIN,
    # agents, knowledge, conversations, tests
    Role.EDITOR: frozenset(
        {
            _P.VIEW_WORKSPACE,
            _P.VIEW_CONVERSATIONS,
            _P.EDIT_AGENTS,
            _P.EDIT_KNOWLEDGE,
            _P.MANAGE_CONVERSATIONS,
            _P.RUN_TESTS,
        }
    ),
    # the handoff inbox, leads and conversations only
    Role.SUPPORT: frozenset(
        {
            _P.VIEW_CONVERSATIONS,
            _P.VIEW_LEADS,
            _P.HANDLE_HANDOFFS,
            _P.MANAGE_LEADS,
            _P.MANAGE_CONVERSATIONS,
        }
    ),
    # read only
    Role.VIEWER: _READ,
}
"""The permission matrix: what each role may do. The one place a right is granted."""


class ForbiddenByRole(Forbidden):
    """The caller's role in the workspace does not allow the action."""

    code = "forbidden_by_role"
    title = "Your role does not allow this"


class LastOwner(Conflict):
    """The change would leave the workspace without an owner."""

    code = "last_owner"
    title = "A workspace needs an owner"


class InvalidWorkspaceName(InvalidInput):
    code = "invalid_workspace_name"
    title = "Invalid workspace name"


def permits(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def ensure_permitted(role: Role, permission: Permission) -> None:
    """The one rule every use case asks: raise :class:`ForbiddenByRole` unless ``role`` has
    ``permission``."""
    if not permits(role, permission):
        raise ForbiddenByRole(f"The {role} role may not do this ({permission}).")


def role_within(role: Role, limit: Role) -> bool:
    """Whether ``role`` grants nothing ``limit`` does not (an API key's role is at most its
    creator's; an admin grants only roles within an admin's)."""
    return ROLE_PERMISSIONS[role] <= ROLE_PERMISSIONS[limit]


def check_workspace_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= MAX_WORKSPACE_NAME:
        raise InvalidWorkspaceName(f"A workspace name is 1 to {MAX_WORKSPACE_NAME} characters.", field="name")
    return cleaned


class Workspace(msgspec.Struct, frozen=True, kw_only=True):
    """The tenant. Its id is the tenant key every tenant row carries (``account_id`` in SQL)."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime

    def renamed(self, name: str, at: datetime) -> Workspace:
        return msgspec.structs.replace(self, name=check_workspace_name(name), updated_at=at)


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    """One person in one workspace, with one role."""

    workspace_id: str
    account_id: str
    role: Role
    created_at: datetime

    def with_role(self, role: Role, members: Iterable[Membership]) -> Membership:
        """This member with ``role``; refuses to demote the workspace's last owner."""
        if self.role is Role.OWNER and role is not Role.OWNER:
            ensure_another_owner(self, members)
        return msgspec.structs.replace(self, role=role)

    def leave(self, members: Iterable[Membership]) -> None:
        """Check that this member may leave (or be removed): the last owner may not."""
        if self.role is Role.OWNER:
            ensure_another_owner(self, members)


def ensure_another_owner(member: Membership, members: Iterable[Membership]) -> None:
    """Raise :class:`LastOwner` unless someone other than ``member`` owns the workspace."""
    if not any(m.role is Role.OWNER and m.account_id != member.account_id for m in members):
        raise LastOwner("The last owner cannot leave or be demoted; transfer the ownership first.")


def personal_workspace(account_id: str, at: datetime) -> tuple[Workspace, Membership]:
    """The workspace every person gets at sign-up: the same id as their account, themselves
    its owner."""
    return (
        Workspace(id=account_id, name=PERSONAL_WORKSPACE_NAME, created_at=at, updated_at=at),
        Membership(workspace_id=account_id, account_id=account_id, role=Role.OWNER, created_at=at),
    )
