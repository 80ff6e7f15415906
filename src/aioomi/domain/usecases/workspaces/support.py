"""What the workspace use cases share: the audit record, the invitation e-mail, member look-ups."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Account, Principal
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.model.workspaces import (
    AlreadyMember,
    AuditEvent,
    Invitation,
    InvitationNotFound,
    MemberNotFound,
    Membership,
)
from aioomi.ports.unit_of_work import UnitOfWork


async def audit(
    uow: UnitOfWork, principal: Principal, action: str, at: datetime, subject: str | None = None, **detail: str
) -> None:
    """Record which member did what, in the same transaction as the change."""
    await audit_as(uow, principal.workspace_id, principal.account_id, action, at, subject, **detail)


async def audit_as(
    uow: UnitOfWork,
    workspace_id: str,
    actor_id: str,
    action: str,
    at: datetime,
    subject: str | None = None,
    **detail: str,
) -> None:
    await uow.workspaces.add_audit_event(
        AuditEvent(
            id=new_id("aud"),
            workspace_id=workspace_id,
            actor_id=actor_id,
            action=action,
            subject=subject,
            detail=detail,
            at=at,
        )
    )


async def existing_member(uow: UnitOfWork, workspace_id: str, account_id: str) -> tuple[Membership, list[Membership]]:
    """The member and everyone in the workspace; ``member_not_found`` when not a member."""
    members = await uow.workspaces.members(workspace_id)
    member = next((m for m in members if m.account_id == account_id), None)
    if member is None:
        raise MemberNotFound("No such member in this workspace.")
    return member, members


def invitation_email(invitation: Invitation, workspace_name: str, token: str, links: Links) -> EmailMessage:
    days = (invitation.expires_at - invitation.sent_at).days
    return EmailMessage(
        to=invitation.email,
        kind="workspace_invitation",
        subject=f"You are invited to {workspace_name} on Aioomi",
        text=(
            f"Hello,\n\nYou are invited to join the workspace {workspace_name} on Aioomi as {invitation.role}.\n\n"
            f"Accept (sign in, or sign up with this address):\n\n{links.accept_invitation(token)}\n\n"
            f"The link expires in {days} days. If you did not expect it, ignore this e-mail.\n"
        ),
    )


async def join_by_invitation(uow: UnitOfWork, token: str, account: Account, now: datetime) -> Membership:
    """Accept the invitation the link's ``token`` names for ``account`` inside ``uow`` (system
    scope): membership, used invitation and audit record, committed by the caller."""
    invitation = await uow.workspaces.find_invitation_by_token_hash(hash_token(token))
    if invitation is None:
        raise InvitationNotFound("This invitation link is not valid.")
    accepted, membership = invitation.accepted(account.id, account.email, now)
    if await uow.workspaces.membership(invitation.workspace_id, account.id) is not None:
        raise AlreadyMember("You are already a member of this workspace.")
    await uow.workspaces.update_invitation(accepted)
    await uow.workspaces.put_member(membership)
    await audit_as(
        uow, invitation.workspace_id, account.id, "member.joined", now, account.id, role=str(membership.role)
    )
    return membership
