"""The WorkspaceRepository contract, on memory and on Postgres: every person gets their own
workspace at sign-up (same id, themselves its owner); members are kept one row per person per
workspace; the tenant scope hides other workspaces' members; the system-scope look-ups find a
person's memberships and the workspaces they alone own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aioomi.domain.model.accounts import Account, AccountStatus
from aioomi.domain.model.workspaces import Membership, Role, Workspace

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
