"""Request and response bodies of the workspace routes (issue 21)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from aioomi.domain.model.workspaces import AuditEvent, Invitation, InvitationStatus, Role
from aioomi.domain.usecases.workspaces.list_members import Member
from aioomi.domain.usecases.workspaces.list_my_workspaces import MyWorkspace


class WorkspaceOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    role: Role
    current: bool
    """Whether this request acts in it."""

    @classmethod
    def of(cls, found: MyWorkspace) -> WorkspaceOut:
        return cls(id=found.id, name=found.name, role=found.role, current=found.current)


class WorkspaceList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[WorkspaceOut]
    next_cursor: str | None = None


class NewWorkspaceIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=400)]


class DeleteWorkspaceIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    confirm_name: Annotated[str, Meta(max_length=400)]
    """The workspace's name, typed to confirm."""


class CurrentWorkspaceIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    workspace_id: Annotated[str, Meta(min_length=1, max_length=100)]


class CurrentWorkspaceOut(msgspec.Struct, frozen=True, kw_only=True):
    workspace_id: str
    role: Role


class MemberOut(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    email: str
    full_name: str
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        m = member.membership
        return cls(
            account_id=m.account_id, email=member.email, full_name=member.full_name, role=m.role, joined_at=m.created_at
        )


class MemberList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[MemberOut]
    next_cursor: str | None = None


class MemberPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    role: Role


class MembershipOut(msgspec.Struct, frozen=True, kw_only=True):
    workspace_id: str
    account_id: str
    role: Role


class InvitationIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    role: Role


class InvitationOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    role: Role
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    sent_at: datetime

    @classmethod
    def of(cls, invitation: Invitation, status: InvitationStatus = InvitationStatus.PENDING) -> InvitationOut:
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=invitation.role,
            status=status,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            sent_at=invitation.sent_at,
        )


class InvitationList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[InvitationOut]
    next_cursor: str | None = None


class AcceptIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=200)]


class TransferIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    account_id: Annotated[str, Meta(min_length=1, max_length=100)]


class AuditEventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    actor_id: str | None
    action: str
    subject: str | None
    detail: dict[str, str]
    at: datetime

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            actor_id=event.actor_id,
            action=event.action,
            subject=event.subject,
            detail=event.detail,
            at=event.at,
        )


class AuditEventList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[AuditEventOut]
    next_cursor: str | None = None


class WorkspacePatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]


class WorkspaceNameOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
