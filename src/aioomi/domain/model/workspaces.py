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
from datetime import datetime, timedelta
from typing import Final, Protocol

import msgspec

from aioomi.domain.model.errors import Conflict, Forbidden, InvalidInput, NotFound
from aioomi.domain.model.ids import is_id

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
    EXPORT_WORKSPACE = "export_workspace"  # an archive of all the workspace's data, billing included


_P = Permission
_READ: Final = frozenset({_P.VIEW_WORKSPACE, _P.VIEW_CONVERSATIONS, _P.VIEW_LEADS})
_ADMIN: Final = frozenset(Permission) - {
    _P.MANAGE_BILLING,
    _P.TRANSFER_OWNERSHIP,
    _P.DELETE_WORKSPACE,
    _P.EXPORT_WORKSPACE,
}

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


class TooManyWorkspaces(Conflict):
    """The person already owns as many workspaces as the instance allows."""

    code = "too_many_workspaces"
    title = "Too many workspaces"


class WorkspaceNameMismatch(InvalidInput):
    """The name typed to confirm a deletion is not the workspace's."""

    code = "workspace_name_mismatch"
    title = "Type the workspace's name to confirm"


class LastWorkspace(Conflict):
    """Deleting the workspace would leave the person in none: they delete their account instead."""

    code = "last_workspace"
    title = "Your only workspace"


class NoWorkspace(Forbidden):
    """The person belongs to no workspace (or not to the one asked for)."""

    code = "not_a_member"
    title = "Not a member of this workspace"


class Actor(Protocol):
    """Anyone who acts in a workspace with a role (a principal)."""

    @property
    def role(self) -> Role: ...


def permits(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def ensure_permitted(actor: Actor | Role, permission: Permission) -> None:
    """The one rule every use case asks: raise :class:`ForbiddenByRole` unless the actor's role
    has ``permission``."""
    role = actor if isinstance(actor, Role) else actor.role
    if not permits(role, permission):
        raise ForbiddenByRole(f"The {role} role may not do this ({permission}).")


def role_within(role: Role, limit: Role) -> bool:
    """Whether ``role`` grants nothing ``limit`` does not (an API key's role is at most its
    creator's; an admin grants only roles within an admin's)."""
    return ROLE_PERMISSIONS[role] <= ROLE_PERMISSIONS[limit]


def check_workspace_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= MAX_WORKSPACE_NAME or not cleaned.isprintable():
        raise InvalidWorkspaceName(f"A workspace name is 1 to {MAX_WORKSPACE_NAME} printable characters.", field="name")
    return cleaned


WORKSPACE_ID_PREFIX = "ws"
"""Workspaces a person creates; their own one has their account's id (``acct_…``)."""


def is_workspace_id(value: str) -> bool:
    """Whether ``value`` has the shape of a workspace id (a created one's, or a person's own)."""
    return is_id(value, WORKSPACE_ID_PREFIX) or is_id(value, "acct")


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


def new_workspace(workspace_id: str, owner_id: str, name: str, at: datetime) -> tuple[Workspace, Membership]:
    """Another workspace a person creates (its own id, never an account's), themselves its owner."""
    return (
        Workspace(id=workspace_id, name=check_workspace_name(name), created_at=at, updated_at=at),
        Membership(workspace_id=workspace_id, account_id=owner_id, role=Role.OWNER, created_at=at),
    )


def ensure_may_own_another(memberships: Iterable[Membership], limit: int) -> None:
    """Raise :class:`TooManyWorkspaces` when the person already owns ``limit`` workspaces."""
    owned = sum(1 for m in memberships if m.role is Role.OWNER)
    if owned >= limit:
        raise TooManyWorkspaces(f"You own {owned} workspaces; at most {limit} are allowed.")


def check_deletion_confirmation(workspace: Workspace, typed: str) -> None:
    """The name typed to confirm a deletion must be the workspace's (spaces collapsed, as names
    are stored)."""
    if " ".join(typed.split()) != workspace.name:
        raise WorkspaceNameMismatch("Type the workspace's name exactly to confirm.", field="confirm_name")


NO_WORKSPACE = ""
"""The tenant of a person who belongs to no workspace (they left or were removed from every one,
their own included after a transfer): no row has it, so they see nothing, and they act as a
viewer, so they write nothing; their own account and privacy rights stay reachable."""


def current_membership(memberships: list[Membership], chosen: str | None) -> Membership | None:
    """The membership a session acts through: the chosen workspace's, else the person's own
    (the workspace with their id), else their oldest; ``None`` when they belong to none."""
    for membership in memberships:
        if membership.workspace_id == chosen:
            return membership
    if not memberships:
        return None
    own = [m for m in memberships if m.workspace_id == m.account_id]
    return own[0] if own else memberships[0]


# -- invitations and the audit log ----------------------------------------------------------------

INVITATION_LIFETIME = timedelta(days=7)
MAX_PENDING_INVITATIONS = 50


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    title = "No such invitation"


class InvitationNotPending(Conflict):
    """The invitation was accepted, revoked or has expired."""

    code = "invitation_not_pending"
    title = "The invitation is no longer open"


class InvitationForAnotherEmail(Forbidden):
    code = "invitation_email_mismatch"
    title = "The invitation was sent to another address"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "Already a member of this workspace"


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "No such member"


class TooManyInvitations(Conflict):
    code = "too_many_invitations"
    title = "Too many open invitations"


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation by e-mail to join a workspace with a role. The link carries a random token;
    only its hash is stored. Open until accepted, revoked or expired; a resend issues a new
    token (the old link stops working) and a new expiry."""

    id: str
    workspace_id: str
    email: str
    role: Role
    token_hash: str
    invited_by: str | None
    created_at: datetime
    expires_at: datetime
    sent_at: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def _ensure_pending(self, now: datetime) -> None:
        if self.status(now) is not InvitationStatus.PENDING:
            raise InvitationNotPending(f"The invitation is {self.status(now)}.")

    def resent(self, token_hash: str, now: datetime) -> Invitation:
        """A new link and a new expiry: only while open (an expired one is re-sent too)."""
        if self.accepted_at is not None or self.revoked_at is not None:
            raise InvitationNotPending(f"The invitation is {self.status(now)}.")
        return msgspec.structs.replace(self, token_hash=token_hash, sent_at=now, expires_at=now + INVITATION_LIFETIME)

    def revoked(self, now: datetime) -> Invitation:
        self._ensure_pending(now)
        return msgspec.structs.replace(self, revoked_at=now)

    def accepted(self, account_id: str, email: str, now: datetime) -> tuple[Invitation, Membership]:
        """Accepted by the person signed in as ``email`` (the address it was sent to)."""
        self._ensure_pending(now)
        if email.strip().lower() != self.email.strip().lower():
            raise InvitationForAnotherEmail("This invitation was sent to another e-mail address.")
        return (
            msgspec.structs.replace(self, accepted_at=now, accepted_by=account_id),
            Membership(workspace_id=self.workspace_id, account_id=account_id, role=self.role, created_at=now),
        )


def check_grant(actor: Actor, role: Role) -> None:
    """Whether ``actor`` may give (or take away) ``role``: they manage members, ownership only
    moves by a transfer, and nobody grants more than they have."""
    ensure_permitted(actor, Permission.MANAGE_MEMBERS)
    if role is Role.OWNER:
        raise ForbiddenByRole("Ownership is given by a transfer, not by an invitation or a role change.")
    if not role_within(role, actor.role):
        raise ForbiddenByRole(f"The {actor.role} role cannot grant the {role} role.")


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Which member did what in a workspace (members, roles, invitations, ownership)."""

    id: str
    workspace_id: str
    actor_id: str | None
    action: str
    subject: str | None
    detail: dict[str, str]
    at: datetime
