"""The WorkspaceRepository contract, on memory and on Postgres: every person gets their own
workspace at sign-up (same id, themselves its owner); members are kept one row per person per
workspace; the tenant scope hides other workspaces' members; the system-scope look-ups find a
person's memberships and the workspaces they alone own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aioomi.domain.model.accounts import Account, AccountStatus
from aioomi.domain.model.privacy import DataExport, ExportStatus
from aioomi.domain.model.workspaces import AuditEvent, Invitation, Membership, Role, Workspace, new_workspace
from tests.contract.test_agent_store_contract import agent

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def person(account_id: str) -> Account:
    return Account(
        id=account_id,
        email=f"{account_id}@example.com",
        full_name="Ada Lovelace",
        password_hash="x",
        google_subject=None,
        email_verified_at=T0,
        adult_attested_at=T0,
        accepted_policy_version="2026-02-15",
        status=AccountStatus.ACTIVE,
        created_at=T0,
        updated_at=T0,
    )


async def add_people(container, *ids: str) -> None:
    for account_id in ids:
        async with container.uow()(account_id=None) as uow:
            await uow.accounts.add(person(account_id))
            await uow.commit()


async def test_a_new_person_owns_a_workspace_with_their_id(container) -> None:
    await add_people(container, "acct_ada")
    async with container.uow()(account_id="acct_ada") as uow:
        workspace = await uow.workspaces.get("acct_ada")
        members = await uow.workspaces.members("acct_ada")
    assert workspace == Workspace(id="acct_ada", name="My workspace", created_at=T0, updated_at=T0)
    assert members == [Membership(workspace_id="acct_ada", account_id="acct_ada", role=Role.OWNER, created_at=T0)]


async def test_members_are_one_row_per_person_and_their_role_can_change(container) -> None:
    await add_people(container, "acct_ada", "acct_bob")
    joined = T0 + timedelta(days=1)
    bob = Membership(workspace_id="acct_ada", account_id="acct_bob", role=Role.SUPPORT, created_at=joined)
    async with container.uow()(account_id="acct_ada") as uow:
        await uow.workspaces.put_member(bob)
        await uow.workspaces.put_member(
            Membership(workspace_id="acct_ada", account_id="acct_bob", role=Role.EDITOR, created_at=T0)
        )
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert await uow.workspaces.membership("acct_ada", "acct_bob") == Membership(
            workspace_id="acct_ada", account_id="acct_bob", role=Role.EDITOR, created_at=joined
        )
        assert [m.account_id for m in await uow.workspaces.members("acct_ada")] == ["acct_ada", "acct_bob"]
        assert await uow.workspaces.remove_member("acct_ada", "acct_bob") is True
        assert await uow.workspaces.remove_member("acct_ada", "acct_bob") is False
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert await uow.workspaces.membership("acct_ada", "acct_bob") is None


async def test_the_tenant_scope_hides_other_workspaces(container) -> None:
    await add_people(container, "acct_ada", "acct_bob")
    async with container.uow()(account_id="acct_bob") as uow:
        assert await uow.workspaces.get("acct_ada") is None
        assert await uow.workspaces.members("acct_ada") == []
        assert await uow.workspaces.membership("acct_ada", "acct_ada") is None


async def test_a_persons_memberships_and_the_workspaces_they_alone_own(container) -> None:
    await add_people(container, "acct_ada", "acct_bob", "acct_cy")
    later = T0 + timedelta(hours=1)
    async with container.uow()(account_id=None) as uow:
        # bob joins ada's workspace as a second owner, cy joins it as a viewer
        await uow.workspaces.put_member(
            Membership(workspace_id="acct_ada", account_id="acct_bob", role=Role.OWNER, created_at=later)
        )
        await uow.workspaces.put_member(
            Membership(workspace_id="acct_ada", account_id="acct_cy", role=Role.VIEWER, created_at=later)
        )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        bobs = await uow.workspaces.memberships_of("acct_bob")
        assert [(m.workspace_id, m.role) for m in bobs] == [("acct_bob", Role.OWNER), ("acct_ada", Role.OWNER)]
        assert await uow.workspaces.solely_owned_by("acct_ada") == []  # bob owns it too
        assert await uow.workspaces.solely_owned_by("acct_bob") == ["acct_bob"]
        assert await uow.workspaces.solely_owned_by("acct_cy") == ["acct_cy"]


async def test_a_workspace_is_renamed(container) -> None:
    await add_people(container, "acct_ada")
    async with container.uow()(account_id="acct_ada") as uow:
        workspace = await uow.workspaces.get("acct_ada")
        assert workspace is not None
        await uow.workspaces.update(workspace.renamed("  Ada's   shop ", T0 + timedelta(days=2)))
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert await uow.workspaces.get("acct_ada") == Workspace(
            id="acct_ada", name="Ada's shop", created_at=T0, updated_at=T0 + timedelta(days=2)
        )


async def test_a_second_workspace_is_added_with_its_owner(container) -> None:
    await add_people(container, "acct_ada")
    team = Workspace(id="acct_team", name="Team", created_at=T0, updated_at=T0)
    owner = Membership(workspace_id="acct_team", account_id="acct_ada", role=Role.OWNER, created_at=T0)
    async with container.uow()(account_id="acct_team") as uow:
        await uow.workspaces.add(team, owner)
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [m.workspace_id for m in await uow.workspaces.memberships_of("acct_ada")] == ["acct_ada", "acct_team"]


def an_invitation(workspace_id: str, invitation_id: str, email: str, *, at: datetime = T0) -> Invitation:
    return Invitation(
        id=invitation_id,
        workspace_id=workspace_id,
        email=email,
        role=Role.SUPPORT,
        token_hash=f"hash-{invitation_id}",
        invited_by=workspace_id,
        created_at=at,
        expires_at=at + timedelta(days=7),
        sent_at=at,
    )


async def test_invitations_are_kept_per_workspace_and_found_by_their_token(container) -> None:
    await add_people(container, "acct_ada", "acct_bob")
    async with container.uow()(account_id="acct_ada") as uow:
        await uow.workspaces.add_invitation(an_invitation("acct_ada", "inv_1", "sam@example.com"))
        await uow.workspaces.add_invitation(
            an_invitation("acct_ada", "inv_2", "cy@example.com", at=T0 + timedelta(hours=1))
        )
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert [i.id for i in await uow.workspaces.open_invitations("acct_ada")] == ["inv_2", "inv_1"]
        first = await uow.workspaces.get_invitation("acct_ada", "inv_1")
        assert first is not None
        await uow.workspaces.update_invitation(first.revoked(T0 + timedelta(hours=2)))
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert [i.id for i in await uow.workspaces.open_invitations("acct_ada")] == ["inv_2"]
    async with container.uow()(account_id="acct_bob") as uow:  # another workspace sees none of it
        assert await uow.workspaces.get_invitation("acct_ada", "inv_2") is None
        assert await uow.workspaces.open_invitations("acct_ada") == []
    async with container.uow()(account_id=None) as uow:
        found = await uow.workspaces.find_invitation_by_token_hash("hash-inv_1")
        assert found is not None and found.revoked_at == T0 + timedelta(hours=2)
        assert await uow.workspaces.find_invitation_by_token_hash("hash-nope") is None


async def test_the_audit_log_lists_newest_first_and_erasure_blanks_the_actor(container) -> None:
    await add_people(container, "acct_ada", "acct_bob")
    async with container.uow()(account_id="acct_ada") as uow:
        for n in range(3):
            await uow.workspaces.add_audit_event(
                AuditEvent(
                    id=f"aud_{n}",
                    workspace_id="acct_ada",
                    actor_id="acct_bob" if n == 1 else "acct_ada",
                    action="member.role_changed",
                    subject="acct_bob",
                    detail={"role": "viewer"},
                    at=T0 + timedelta(minutes=n),
                )
            )
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert [e.id for e in await uow.workspaces.audit_events("acct_ada", 2)] == ["aud_2", "aud_1"]
    async with container.uow()(account_id=None) as uow:
        assert await uow.workspaces.erase_actor("acct_bob") == 3
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        events = await uow.workspaces.audit_events("acct_ada", 10)
    assert [(e.id, e.actor_id, e.subject) for e in events] == [
        ("aud_2", "acct_ada", None),
        ("aud_1", None, None),
        ("aud_0", "acct_ada", None),
    ]
    async with container.uow()(account_id="acct_bob") as uow:
        assert await uow.workspaces.audit_events("acct_ada", 10) == []


async def test_erasing_a_person_keeps_a_workspace_another_owner_holds(container) -> None:
    """The privacy split (issue 21): ada handed her workspace to bob; erasing ada removes her
    account and memberships, not the workspace's agents; erasing bob, its only owner, then
    removes the workspace with its data."""
    await add_people(container, "acct_ada", "acct_bob")
    shop = agent("acct_ada")
    async with container.uow()(account_id="acct_ada") as uow:
        await uow.agents.add(shop)
        await uow.workspaces.put_member(
            Membership(workspace_id="acct_ada", account_id="acct_bob", role=Role.OWNER, created_at=T0)
        )
        await uow.workspaces.put_member(
            Membership(workspace_id="acct_ada", account_id="acct_ada", role=Role.ADMIN, created_at=T0)
        )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.erase_account("acct_ada")
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        assert await uow.agents.get("acct_ada", shop.id) == shop
        assert [m.account_id for m in await uow.workspaces.members("acct_ada")] == ["acct_bob"]
    async with container.uow()(account_id=None) as uow:
        assert await uow.accounts.get("acct_ada") is None
        await uow.privacy.erase_account("acct_bob")
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.workspaces.get("acct_ada") is None
        assert await uow.agents.get("acct_ada", shop.id) is None


async def test_erasing_a_member_keeps_the_workspaces_audit_events_without_them(container) -> None:
    await add_people(container, "acct_ada", "acct_bob")
    async with container.uow()(account_id="acct_ada") as uow:
        await uow.workspaces.put_member(
            Membership(workspace_id="acct_ada", account_id="acct_bob", role=Role.EDITOR, created_at=T0)
        )
        await uow.workspaces.add_audit_event(
            AuditEvent(
                id="aud_1",
                workspace_id="acct_ada",
                actor_id="acct_bob",
                action="invitation.created",
                subject="inv_1",
                detail={},
                at=T0,
            )
        )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.erase_account("acct_bob")
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        [event] = await uow.workspaces.audit_events("acct_ada", 10)
        assert (event.actor_id, event.subject) == (None, "inv_1")
        assert [m.account_id for m in await uow.workspaces.members("acct_ada")] == ["acct_ada"]


async def test_erasing_a_workspace_removes_its_data_and_keeps_the_person_and_their_other_workspace(
    container,
) -> None:
    """Deleting a workspace (issue 21): its row, members and agents go; the person, their own
    workspace and its agent stay; erasing a personal workspace keeps its person."""
    await add_people(container, "acct_ada")
    shop, own = agent("ws_shop"), agent("acct_ada")
    async with container.uow()(account_id=None) as uow:
        await uow.workspaces.lock_person("acct_ada")
        await uow.workspaces.add(*new_workspace("ws_shop", "acct_ada", "Shop", T0))
        await uow.commit()
    async with container.uow()(account_id="ws_shop") as uow:
        await uow.agents.add(shop)
        await uow.commit()
    async with container.uow()(account_id="acct_ada") as uow:
        await uow.agents.add(own)
        for export_id, held in (("exp_person", None), ("exp_shop", "ws_shop")):
            await uow.privacy.add_export(
                DataExport(
                    id=export_id,
                    account_id="acct_ada",
                    workspace_id=held,
                    status=ExportStatus.QUEUED,
                    created_at=T0,
                    expires_at=T0 + timedelta(days=7),
                )
            )
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert [e.id for e in await uow.privacy.workspace_exports("ws_shop")] == ["exp_shop"]
        assert [m.workspace_id for m in await uow.workspaces.memberships_of("acct_ada")] == ["acct_ada", "ws_shop"]
        # Her own workspace first: she stays, and so do her other workspace, her membership there
        # and both exports (hers; the shop's).
        assert await uow.privacy.erase_workspace("acct_ada") >= 1
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.workspaces.get("acct_ada") is None
        assert await uow.agents.get("acct_ada", own.id) is None
        assert (await uow.accounts.get("acct_ada")) is not None
        assert [m.workspace_id for m in await uow.workspaces.memberships_of("acct_ada")] == ["ws_shop"]
        assert await uow.agents.get("ws_shop", shop.id) == shop
        assert sorted(e.id for e in await uow.privacy.list_exports("acct_ada", 10)) == ["exp_person", "exp_shop"]
        assert await uow.privacy.erase_workspace("ws_shop") >= 1
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.workspaces.get("ws_shop") is None
        assert await uow.agents.get("ws_shop", shop.id) is None
        assert await uow.workspaces.members("ws_shop") == []
        assert await uow.workspaces.memberships_of("acct_ada") == []
        assert (await uow.accounts.get("acct_ada")) is not None  # the person stays, with their own export
        assert [e.id for e in await uow.privacy.list_exports("acct_ada", 10)] == ["exp_person"]
