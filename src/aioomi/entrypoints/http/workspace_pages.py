"""The members page of the dashboard (issue 21): members, invitations, the invite form."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from aioomi.domain.model.workspaces import Role, role_within
from aioomi.domain.usecases.workspaces.list_invitations import ListInvitations
from aioomi.domain.usecases.workspaces.list_members import ListMembers
from aioomi.entrypoints.http.pages import NO_STORE, PAGE_ERRORS, Owner, _page, provide_owner
from aioomi.entrypoints.http.privacy_pages import load_policy
from aioomi.entrypoints.http.schemas_workspaces import InvitationOut, MemberOut


class MemberPages(Controller):
    path = "/dashboard/members"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"owner": Provide(provide_owner)}
    before_request = load_policy  # type: ignore[assignment]  # a plain function: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def members(
        self,
        list_members: NamedDependency[ListMembers],
        list_invitations: NamedDependency[ListInvitations],
        owner: NamedDependency[Owner],
    ) -> Template:
        members = [MemberOut.of(m) for m in await list_members(owner.principal)]
        invitations = [InvitationOut.of(v.invitation, v.status) for v in await list_invitations(owner.principal)]
        grantable = [str(r) for r in Role if r is not Role.OWNER and role_within(r, owner.principal.role)]
        current = next((w for w in owner.workspaces if w.current), None)
        return _page(
            "members.html",
            owner,
            members=members,
            invitations=invitations,
            grantable=grantable,
            workspace_name=current.name if current is not None else "",
            title="Members",
            nav="members",
        )
