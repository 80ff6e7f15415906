"""Roles through the HTTP API on Postgres (issue 21, layer B): a session acts in the workspace
its person chose with their role there; the use cases refuse what the role does not allow
(403 ``forbidden_by_role``, nothing written); a removed member's session loses the workspace
at their very next request; an API key carries a role no higher than its creator's and stops
when its creator is removed. Members are added here through the store (invitations are the
next layer)."""

from __future__ import annotations

from datetime import UTC, datetime

from aioomi.domain.model.workspaces import Membership, Role
from tests.integration.accounts_support import App, Owner, bearer, pg_app, problem, sign_up_and_verify  # noqa: F401 - fixtures

AGENTS = "/api/v1/agents"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


async def join(app: App, workspace: str, person: str, role: Role) -> None:
    async with app.container.uow()(account_id=workspace) as uow:
        await uow.workspaces.put_member(Membership(workspace_id=workspace, account_id=person, role=role, created_at=T0))
        await uow.commit()


async def remove(app: App, workspace: str, person: str) -> None:
    async with app.container.uow()(account_id=workspace) as uow:
        assert await uow.workspaces.remove_member(workspace, person)
        await uow.commit()


async def switch(app: App, who: Owner, workspace: str) -> dict:
    response = await app.client.post(
        "/api/v1/workspaces/current", json={"workspace_id": workspace}, headers=who.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_member_acts_in_the_chosen_workspace_with_their_role(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    created = await app.client.post(AGENTS, json={"name": "Shop"}, headers=ada.headers())
    assert created.status_code == 201, created.text
    agent_id = created.json()["id"]

    # bob belongs to ada's workspace only once ada's side says so
    problem(
        await app.client.post(
            "/api/v1/workspaces/current", json={"workspace_id": ada.account_id}, headers=bob.headers()
        ),
        403,
        "not_a_member",
    )
    await join(app, ada.account_id, bob.account_id, Role.VIEWER)
    listed = (await app.client.get("/api/v1/workspaces", headers=bob.headers())).json()["data"]
    assert [(w["id"], w["role"], w["current"]) for w in listed] == [
        (bob.account_id, "owner", True),
        (ada.account_id, "viewer", False),
    ]
    assert await switch(app, bob, ada.account_id) == {"workspace_id": ada.account_id, "role": "viewer"}
    who = (await app.client.get("/api/v1/auth/session", headers=bob.headers())).json()
    assert (who["account_id"], who["workspace_id"], who["role"]) == (bob.account_id, ada.account_id, "viewer")

    # a viewer reads ada's agents and writes nothing
    assert [a["id"] for a in (await app.client.get(AGENTS, headers=bob.headers())).json()["data"]] == [agent_id]
    problem(await app.client.post(AGENTS, json={"name": "Mine"}, headers=bob.headers()), 403, "forbidden_by_role")
    problem(
        await app.client.patch(f"{AGENTS}/{agent_id}", json={"name": "Renamed"}, headers=bob.headers()),
        403,
        "forbidden_by_role",
    )
    assert await app.count("agents") == 1
    problem(await app.client.get("/api/v1/billing/usage", headers=bob.headers()), 403, "forbidden_by_role")

    # support: the inbox and leads, not the agents' settings
    await join(app, ada.account_id, bob.account_id, Role.SUPPORT)
    assert (await app.client.get("/api/v1/handoffs", headers=bob.headers())).status_code == 200
    assert (await app.client.get("/api/v1/leads", headers=bob.headers())).status_code == 200
    problem(await app.client.get(f"{AGENTS}/{agent_id}/documents", headers=bob.headers()), 403, "forbidden_by_role")

    # an editor creates agents, in ada's workspace
    await join(app, ada.account_id, bob.account_id, Role.EDITOR)
    made = await app.client.post(AGENTS, json={"name": "Bob's"}, headers=bob.headers())
    assert made.status_code == 201, made.text
    ada_sees = (await app.client.get(AGENTS, headers=ada.headers())).json()["data"]
    assert sorted(a["name"] for a in ada_sees) == ["Bob's", "Shop"]

    # removed: the very next request is back in bob's own workspace, ada's out of reach
    await remove(app, ada.account_id, bob.account_id)
    problem(await app.client.get(f"{AGENTS}/{agent_id}", headers=bob.headers()), 404)
    assert (await app.client.get(AGENTS, headers=bob.headers())).json()["data"] == []
    who = (await app.client.get("/api/v1/auth/session", headers=bob.headers())).json()
    assert (who["workspace_id"], who["role"]) == (bob.account_id, "owner")


async def test_an_api_keys_role_is_at_most_its_creators_and_ends_with_their_membership(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    scopes = ["agents:read", "agents:write"]

    # ada's viewer key reads and cannot write
    made = await app.client.post(
        "/api/v1/api-keys", json={"name": "ro", "scopes": scopes, "role": "viewer"}, headers=ada.headers()
    )
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "viewer"
    viewer_key = made.json()["secret"]
    assert (await app.client.get(AGENTS, headers=bearer(viewer_key))).status_code == 200
    problem(await app.client.post(AGENTS, json={"name": "X"}, headers=bearer(viewer_key)), 403, "forbidden_by_role")
    assert await app.count("agents") == 0

    # bob, an admin in ada's workspace, cannot make an owner key there; an admin key he can
    await join(app, ada.account_id, bob.account_id, Role.ADMIN)
    await switch(app, bob, ada.account_id)
    problem(
        await app.client.post(
            "/api/v1/api-keys", json={"name": "k", "scopes": scopes, "role": "owner"}, headers=bob.headers()
        ),
        403,
        "forbidden_by_role",
    )
    made = await app.client.post("/api/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=bob.headers())
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "admin"
    bobs_key = made.json()["secret"]
    created = await app.client.post(AGENTS, json={"name": "By key"}, headers=bearer(bobs_key))
    assert created.status_code == 201, created.text
    ada_sees = (await app.client.get(AGENTS, headers=ada.headers())).json()["data"]
    assert [a["name"] for a in ada_sees] == ["By key"]  # the key acts in ada's workspace

    # bob demoted to viewer: his admin key now grants more than he has, so it stops; removed: too
    await join(app, ada.account_id, bob.account_id, Role.VIEWER)
    problem(await app.client.get(AGENTS, headers=bearer(bobs_key)), 401, "invalid_api_key")
    await join(app, ada.account_id, bob.account_id, Role.ADMIN)
    assert (await app.client.get(AGENTS, headers=bearer(bobs_key))).status_code == 200
    await remove(app, ada.account_id, bob.account_id)
    problem(await app.client.get(AGENTS, headers=bearer(bobs_key)), 401, "invalid_api_key")


async def test_signing_out_everywhere_ends_the_keys_a_member_made_in_another_workspace(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    await join(app, ada.account_id, bob.account_id, Role.ADMIN)
    await switch(app, bob, ada.account_id)
    made = await app.client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["agents:read"]}, headers=bob.headers()
    )
    assert made.status_code == 201, made.text
    ada_key = await app.client.post(
        "/api/v1/api-keys", json={"name": "mine", "scopes": ["agents:read"]}, headers=ada.headers()
    )
    assert (await app.client.get(AGENTS, headers=bearer(made.json()["secret"]))).status_code == 200

    out = await app.client.post("/api/v1/auth/sign-out-everywhere", headers=bob.headers())
    assert out.status_code == 200, out.text
    assert out.json()["revoked_api_keys"] == 1
    problem(await app.client.get(AGENTS, headers=bearer(made.json()["secret"])), 401, "invalid_api_key")
    # the owner's own key in the same workspace is hers, not bob's: it still works
    assert (await app.client.get(AGENTS, headers=bearer(ada_key.json()["secret"]))).status_code == 200
