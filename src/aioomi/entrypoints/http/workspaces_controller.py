"""The caller's workspaces and the switch between them (issue 21)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Role
from aioomi.domain.usecases.privacy.request_workspace_export import RequestWorkspaceExport
from aioomi.domain.usecases.workspaces.accept_invitation import AcceptInvitation
from aioomi.domain.usecases.workspaces.change_member_role import ChangeMemberRole
from aioomi.domain.usecases.workspaces.create_workspace import CreateWorkspace
from aioomi.domain.usecases.workspaces.delete_workspace import DeleteWorkspace
from aioomi.domain.usecases.workspaces.invite_member import InviteMember
from aioomi.domain.usecases.workspaces.leave_workspace import LeaveWorkspace
from aioomi.domain.usecases.workspaces.list_audit_events import ListAuditEvents
from aioomi.domain.usecases.workspaces.list_invitations import ListInvitations
from aioomi.domain.usecases.workspaces.list_members import ListMembers
from aioomi.domain.usecases.workspaces.list_my_workspaces import ListMyWorkspaces
from aioomi.domain.usecases.workspaces.remove_member import RemoveMember
from aioomi.domain.usecases.workspaces.rename_workspace import RenameWorkspace
from aioomi.domain.usecases.workspaces.resend_invitation import ResendInvitation
from aioomi.domain.usecases.workspaces.revoke_invitation import RevokeInvitation
from aioomi.domain.usecases.workspaces.switch_workspace import SwitchWorkspace
from aioomi.domain.usecases.workspaces.transfer_ownership import TransferOwnership
from aioomi.entrypoints.http.auth import provide_principal, provide_recent_session
from aioomi.entrypoints.http.privacy_controller import ExportOut
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_workspaces import (
    AcceptIn,
    AuditEventList,
    AuditEventOut,
    CurrentWorkspaceIn,
    CurrentWorkspaceOut,
    DeleteWorkspaceIn,
    InvitationIn,
    InvitationList,
    InvitationOut,
    MemberList,
    MemberOut,
    MemberPatch,
    MembershipOut,
    NewWorkspaceIn,
    TransferIn,
    WorkspaceList,
    WorkspaceNameOut,
    WorkspaceOut,
    WorkspacePatch,
)


class WorkspaceController(Controller):
    path = "/api/v1/workspaces"
    tags = ["workspaces"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The workspaces the caller belongs to, with their role in each", responses=problems(401, 403))
    async def list_workspaces(
        self, list_my_workspaces: NamedDependency[ListMyWorkspaces], principal: NamedDependency[Principal]
    ) -> WorkspaceList:
        return WorkspaceList(data=[WorkspaceOut.of(w) for w in await list_my_workspaces(principal)])

    @post(
        "/",
        status_code=201,
        summary="Create another workspace; the caller becomes its owner (a browser session only)",
        responses=problems(401, 403, 409, 422),
    )
    async def create(
        self,
        create_workspace: NamedDependency[CreateWorkspace],
        principal: NamedDependency[Principal],
        data: JSONBody[NewWorkspaceIn],
    ) -> WorkspaceOut:
        created = await create_workspace(principal, data.name)
        return WorkspaceOut(id=created.id, name=created.name, role=Role.OWNER, current=False)

    @delete(
        "/{workspace_id:str}",
        status_code=202,
        summary="Delete a workspace for good (owners, recent password, its name typed to confirm)",
        responses=problems(401, 403, 409, 422),
        dependencies={"principal": Provide(provide_recent_session)},
    )
    async def delete_workspace(
        self,
        delete_workspace: NamedDependency[DeleteWorkspace],
        principal: NamedDependency[Principal],
        workspace_id: FromPath[str],
        data: JSONBody[DeleteWorkspaceIn],
    ) -> None:
        await delete_workspace(principal, workspace_id, data.confirm_name)

    @post(
        "/{workspace_id:str}/export",
        status_code=202,
        summary="Build an archive of all the workspace's data (owners; a recent password)",
        responses=problems(401, 403),
        dependencies={"principal": Provide(provide_recent_session)},
    )
    async def export_workspace(
        self,
        request_workspace_export: NamedDependency[RequestWorkspaceExport],
        principal: NamedDependency[Principal],
        workspace_id: FromPath[str],
    ) -> ExportOut:
        return ExportOut.of(await request_workspace_export(principal, workspace_id))

    @post(
        "/current",
        status_code=200,
        summary="Act in another of the caller's workspaces (a browser session only)",
        responses=problems(401, 403),
    )
    async def switch(
        self,
        switch_workspace: NamedDependency[SwitchWorkspace],
        principal: NamedDependency[Principal],
        data: JSONBody[CurrentWorkspaceIn],
    ) -> CurrentWorkspaceOut:
        role = await switch_workspace(principal, data.workspace_id)
        return CurrentWorkspaceOut(workspace_id=data.workspace_id, role=role)


class MemberController(Controller):
    """The members of the workspace the caller acts in, their roles, invitations and audit log."""

    path = "/api/v1/workspace"
    tags = ["workspaces"]
    dependencies = {"principal": Provide(provide_principal)}

    @patch("/", summary="Rename the workspace (owners and admins)", responses=problems(401, 403, 404, 422))
    async def rename(
        self,
        rename_workspace: NamedDependency[RenameWorkspace],
        principal: NamedDependency[Principal],
        data: JSONBody[WorkspacePatch],
    ) -> WorkspaceNameOut:
        renamed = await rename_workspace(principal, data.name)
        return WorkspaceNameOut(id=renamed.id, name=renamed.name)

    @get("/members", summary="The workspace's members and their roles", responses=problems(401, 403))
    async def list_members(
        self, list_members: NamedDependency[ListMembers], principal: NamedDependency[Principal]
    ) -> MemberList:
        return MemberList(data=[MemberOut.of(m) for m in await list_members(principal)])

    @patch("/members/{account_id:str}", summary="Give a member another role", responses=problems(401, 403, 404, 409))
    async def change_role(
        self,
        change_member_role: NamedDependency[ChangeMemberRole],
        principal: NamedDependency[Principal],
        account_id: FromPath[str],
        data: JSONBody[MemberPatch],
    ) -> MembershipOut:
        changed = await change_member_role(principal, account_id, data.role)
        return MembershipOut(workspace_id=changed.workspace_id, account_id=changed.account_id, role=changed.role)

    @delete(
        "/members/{account_id:str}",
        status_code=204,
        summary="Remove a member: their sessions and keys lose the workspace at once",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def remove(
        self,
        remove_member: NamedDependency[RemoveMember],
        principal: NamedDependency[Principal],
        account_id: FromPath[str],
    ) -> None:
        await remove_member(principal, account_id)

    @post(
        "/leave", status_code=204, summary="Leave the workspace (not its last owner)", responses=problems(401, 403, 409)
    )
    async def leave(
        self, leave_workspace: NamedDependency[LeaveWorkspace], principal: NamedDependency[Principal]
    ) -> None:
        await leave_workspace(principal)

    @post(
        "/transfer",
        status_code=204,
        summary="Hand the workspace to another member (who becomes owner; you become admin)",
        responses=problems(401, 403, 404, 422),
    )
    async def transfer(
        self,
        transfer_ownership: NamedDependency[TransferOwnership],
        principal: NamedDependency[Principal],
        data: JSONBody[TransferIn],
    ) -> None:
        await transfer_ownership(principal, data.account_id)

    @get("/invitations", summary="Open invitations (pending or expired)", responses=problems(401, 403))
    async def list_invitations(
        self, list_invitations: NamedDependency[ListInvitations], principal: NamedDependency[Principal]
    ) -> InvitationList:
        return InvitationList(
            data=[InvitationOut.of(v.invitation, v.status) for v in await list_invitations(principal)]
        )

    @post(
        "/invitations",
        status_code=201,
        summary="Invite someone by e-mail with a role (the link expires in 7 days)",
        responses=problems(401, 403, 409, 422),
    )
    async def invite(
        self,
        invite_member: NamedDependency[InviteMember],
        principal: NamedDependency[Principal],
        data: JSONBody[InvitationIn],
    ) -> InvitationOut:
        return InvitationOut.of(await invite_member(principal, data.email, data.role))

    @post(
        "/invitations/{invitation_id:str}/resend",
        status_code=200,
        summary="Send the invitation again with a new link and expiry",
        responses=problems(401, 403, 404, 409),
    )
    async def resend(
        self,
        resend_invitation: NamedDependency[ResendInvitation],
        principal: NamedDependency[Principal],
        invitation_id: FromPath[str],
    ) -> InvitationOut:
        return InvitationOut.of(await resend_invitation(principal, invitation_id))

    @delete(
        "/invitations/{invitation_id:str}",
        status_code=204,
        summary="Revoke a pending invitation",
        responses=problems(401, 403, 404, 409),
    )
    async def revoke(
        self,
        revoke_invitation: NamedDependency[RevokeInvitation],
        principal: NamedDependency[Principal],
        invitation_id: FromPath[str],
    ) -> None:
        await revoke_invitation(principal, invitation_id)

    @get(
        "/audit", summary="Which member did what (members, roles, invitations, ownership)", responses=problems(401, 403)
    )
    async def audit(
        self, list_audit_events: NamedDependency[ListAuditEvents], principal: NamedDependency[Principal]
    ) -> AuditEventList:
        return AuditEventList(data=[AuditEventOut.of(e) for e in await list_audit_events(principal)])


class InvitationController(Controller):
    path = "/api/v1/invitations"
    tags = ["workspaces"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "/accept",
        status_code=200,
        summary="Join the workspace of an invitation sent to the signed-in person's address",
        responses=problems(401, 403, 404, 409),
    )
    async def accept(
        self,
        accept_invitation: NamedDependency[AcceptInvitation],
        principal: NamedDependency[Principal],
        data: JSONBody[AcceptIn],
    ) -> MembershipOut:
        joined = await accept_invitation(principal.account_id, data.token)
        return MembershipOut(workspace_id=joined.workspace_id, account_id=joined.account_id, role=joined.role)
