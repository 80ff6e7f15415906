"""Roles through the HTTP API on Postgres (issue 21, layer B): a session acts in the workspace
its person chose with their role there; the use cases refuse what the role does not allow
(403 ``forbidden_by_role``, nothing written); a removed member's session loses the workspace
at their very next request; an API key carries a role no higher than its creator's and stops
when its creator is removed. Members are added here through the store (invitations are the
next layer)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aioomi.domain.model.accounts import Scope
from aioomi.domain.model.workspaces import Membership, Role
from tests.integration.accounts_support import (  # noqa: F401 - fixtures
    App,
    Owner,
    bearer,
    pg_app,
    problem,
    serve,
    sign_up_and_verify,
)

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


# -- every read route, every role (the review of issue 21: reads were open to every role) --------

# What each role may read, in the issue's words (owner: billing, members, deleting; admin: all
# but billing and ownership; editor: agents, knowledge, conversations, tests; support: the handoff
# inbox, leads and conversations only; viewer: read only), by area. Written here, not taken from
# the domain's table.
EVERYONE = frozenset(Role)
READERS: dict[str, frozenset[Role]] = {
    # the person's own account, sessions, privacy and memberships; catalogues with no workspace data
    "personal": EVERYONE,
    "catalogue": EVERYONE,
    # agents and their settings, knowledge, sources, Q&A, tests, question groups, analytics, usage
    "workspace": frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER}),
    "conversations": EVERYONE,  # conversations and the handoff inbox: support's too
    "conversation exports": frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR, Role.SUPPORT}),  # not read only
    "leads": frozenset({Role.OWNER, Role.ADMIN, Role.SUPPORT, Role.VIEWER}),  # not the editor's
    "lead exports": frozenset({Role.OWNER, Role.ADMIN, Role.SUPPORT}),
    "integrations": frozenset({Role.OWNER, Role.ADMIN}),  # API keys, webhooks
    "members": frozenset({Role.OWNER, Role.ADMIN}),
    "billing": frozenset({Role.OWNER}),
}
A = "/api/v1/agents/{agent_id}"
# Every owner-API GET route: its area, and whether an API key may call it at all (the account's
# and the workspace's own routes are a browser session's only: 403 session_required).
READ_ROUTES: dict[str, tuple[str, bool]] = {
    "/api/v1/auth/session": ("personal", True),
    "/api/v1/account": ("personal", False),
    "/api/v1/account/sessions": ("personal", False),
    "/api/v1/account/audit-log": ("personal", False),
    "/api/v1/account/exports": ("personal", False),
    "/api/v1/account/policy": ("personal", False),
    "/api/v1/account/privacy": ("personal", False),
    "/api/v1/workspaces": ("personal", False),
    "/api/v1/billing/plans": ("catalogue", True),
    "/api/v1/webhook-endpoints/event-types": ("catalogue", False),
    "/api/v1/agents": ("workspace", True),
    A: ("workspace", True),
    A + "/embed": ("workspace", True),
    A + "/documents": ("workspace", True),
    A + "/documents/{document_id}": ("workspace", True),
    A + "/documents/{document_id}/text": ("workspace", True),
    A + "/knowledge": ("workspace", True),
    A + "/sources": ("workspace", True),
    A + "/sources/{source_id}": ("workspace", True),
    A + "/sources/{source_id}/runs": ("workspace", True),
    A + "/sources/{source_id}/runs/{run_id}": ("workspace", True),
    A + "/qa-pairs": ("workspace", True),
    A + "/qa-pairs/{pair_id}": ("workspace", True),
    A + "/qa-pairs/export": ("workspace", True),
    A + "/curated-answers": ("workspace", True),
    A + "/question-groups": ("workspace", True),
    A + "/test-questions": ("workspace", True),
    A + "/test-runs": ("workspace", True),
    A + "/test-runs/{run_id}": ("workspace", True),
    A + "/chat-retention": ("workspace", True),
    A + "/lead-form": ("workspace", True),
    A + "/handoff-settings": ("workspace", True),
    "/api/v1/analytics": ("workspace", True),
    "/api/v1/analytics/export": ("workspace", True),
    "/api/v1/usage": ("workspace", True),
    "/api/v1/request-log": ("workspace", False),
    "/v1/models": ("workspace", True),
    "/v1/models/{model_id}": ("workspace", True),
    A + "/sessions": ("conversations", True),
    A + "/conversations": ("conversations", True),
    A + "/feedback": ("conversations", True),
    "/api/v1/chat-sessions/{session_id}": ("conversations", True),
    "/api/v1/visitors/{visitor_id}/conversations": ("conversations", True),
    "/api/v1/handoffs": ("conversations", True),
    "/api/v1/handoffs/stream": ("conversations", True),
    "/api/v1/handoffs/{session_id}/events": ("conversations", True),
    A + "/sessions/export": ("conversation exports", True),
    "/api/v1/visitors/{visitor_id}/export": ("conversation exports", True),
    "/api/v1/leads": ("leads", True),
    "/api/v1/leads/export": ("lead exports", True),
    "/api/v1/api-keys": ("integrations", False),
    "/api/v1/webhook-endpoints": ("integrations", False),
    "/api/v1/webhook-endpoints/{endpoint_id}": ("integrations", False),
    "/api/v1/webhook-endpoints/{endpoint_id}/attempts": ("integrations", False),
    "/api/v1/workspace/members": ("members", False),
    "/api/v1/workspace/invitations": ("members", False),
    "/api/v1/workspace/audit": ("members", False),
    "/api/v1/billing/usage": ("billing", True),
}


def app_routes(app: App, dependency: str) -> set[str]:
    """The app's GET routes that authenticate through ``dependency`` (``principal``: the owner
    API; ``owner``: the dashboard), as path templates without their parameters' types."""
    found = set()
    for route in app.client.app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if "GET" in handler.http_methods and dependency in handler.resolve_dependencies():
                found.add(re.sub(r":[^}]*\}", "}", route.path))
    return found


def filled(template: str, agent_id: str) -> str:
    """A route with its parameters: the workspace's agent, and ids nothing has (a 404, after the role)."""
    values = {"agent_id": agent_id, "model_id": agent_id, "visitor_id": "visitor-0000000000000001"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], f"{m[1].split('_')[0][:3]}_missing"), template)


def refused_by_role(response: Any, path: str) -> bool:
    """Whether ``response`` is the role's refusal (a 403 ``forbidden_by_role``; /v1 in OpenAI's shape)."""
    if response.status_code != 403:
        return False
    body = response.json()
    return (body["error"]["code"] if path.startswith("/v1/") else body["code"]) == "forbidden_by_role"


async def test_every_read_route_answers_each_role_by_the_issues_words(tmp_path: Path, pg_conninfo: str) -> None:
    """For every role, every owner-API GET route (the app's own list, not a hand list) answers 403
    ``forbidden_by_role`` exactly when the role may not read the route's area, and otherwise 200
    (404 for an id nothing has): through a member's browser session and through an API key of
    that role."""
    async with serve(
        "postgres", tmp_path / "aioomi", pg_conninfo, handoff_stream_max_s=0.05, handoff_poll_s=0.01
    ) as app:
        assert app_routes(app, "principal") == set(READ_ROUTES), "a GET route without its area in READ_ROUTES"
        ada = await sign_up_and_verify(app, "ada@example.com")
        bob = await sign_up_and_verify(app, "bob@example.com")
        created = await app.client.post(AGENTS, json={"name": "Shop"}, headers=ada.headers())
        assert created.status_code == 201, created.text
        agent_id = created.json()["id"]
        for role in Role:
            await join(app, ada.account_id, bob.account_id, role)
            assert await switch(app, bob, ada.account_id) == {"workspace_id": ada.account_id, "role": role}
            made = await app.client.post(
                "/api/v1/api-keys",
                json={"name": f"{role} key", "scopes": [str(s) for s in Scope], "role": role},
                headers=ada.headers(),
            )
            assert made.status_code == 201, made.text
            key = bearer(made.json()["secret"])
            for template, (area, keys_reach) in READ_ROUTES.items():
                path = filled(template, agent_id)
                for credential, headers in (("session", bob.headers()), ("key", key)):
                    response = await app.client.get(path, headers=headers)
                    where = (role, credential, template, response.status_code, response.text[:200])
                    if credential == "key" and not keys_reach:
                        problem(response, 403, "session_required")
                    elif role not in READERS[area]:
                        assert refused_by_role(response, path), where
                    else:
                        assert response.status_code == (404 if "_missing" in path else 200), where
            # two reads that are POSTs: the test retrieval, and a chat through the OpenAI-compatible
            # API with a key (its model is missing: the role is asked first, then the agent)
            for headers in (bob.headers(), key):
                searched = await app.client.post(f"{AGENTS}/{agent_id}/search", json={"query": "hi"}, headers=headers)
                assert searched.status_code == (200 if role in READERS["workspace"] else 403), searched.text
            chat = {"model": "agt_missing", "messages": [{"role": "user", "content": "Hello"}]}
            chatted = await app.client.post("/v1/chat/completions", json=chat, headers=key)
            if role in READERS["workspace"]:
                assert (chatted.status_code, chatted.json()["error"]["code"]) == (404, "model_not_found"), chatted.text
            else:
                assert refused_by_role(chatted, "/v1/chat/completions"), chatted.text


D = "/dashboard"
# Every dashboard page: its area (as above); the top-level ones are the navigation's.
PAGES: dict[str, str] = {
    D: "personal",  # a redirect to the home page
    D + "/account": "personal",
    D + "/agents": "workspace",
    D + "/agents/{agent_id}": "workspace",
    D + "/agents/{agent_id}/knowledge": "workspace",
    D + "/agents/{agent_id}/questions": "workspace",
    D + "/agents/{agent_id}/tests": "workspace",
    D + "/analytics": "workspace",
    D + "/usage": "workspace",
    D + "/request-log": "workspace",
    D + "/leads/form/{agent_id}": "workspace",  # an agent's lead form: its settings
    D + "/conversations": "conversations",
    D + "/conversations/{session_id}": "conversations",
    D + "/inbox": "conversations",
    D + "/leads": "leads",
    D + "/webhooks": "integrations",
    D + "/webhooks/{endpoint_id}": "integrations",
    D + "/billing": "billing",
    D + "/members": "members",
}


def nav_links(html: str) -> set[str]:
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return set(re.findall(r'<a href="([^"]+)"', nav))


async def test_the_dashboard_shows_each_role_its_pages_and_refuses_the_others(pg_app: App) -> None:
    """For every role, a dashboard page answers a 403 problem page exactly when the role may not
    read its area, and the navigation links exactly the top-level pages the role may open."""
    app = pg_app
    assert app_routes(app, "owner") == set(PAGES), "a dashboard page without its area in PAGES"
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    created = await app.client.post(AGENTS, json={"name": "Shop"}, headers=ada.headers())
    agent_id = created.json()["id"]
    for role in Role:
        await join(app, ada.account_id, bob.account_id, role)
        await switch(app, bob, ada.account_id)
        for template, area in PAGES.items():
            path = filled(template, agent_id)
            response = await app.client.get(path, headers=bob.headers(), follow_redirects=False)
            where = (role, template, response.status_code)
            if role not in READERS[area]:
                assert response.status_code == 403, where
                assert "403: something went wrong" in response.text, where  # the problem page
                assert f"The {role} role may not do this" in response.text, where
            elif template == D:
                assert response.status_code == 303, where
            else:
                assert response.status_code == (404 if "_missing" in path else 200), where
        home = await app.client.get(D + "/account", headers=bob.headers())
        top_level = {p for p in PAGES if p != D and p.count("/") == 2}
        assert nav_links(home.text) == {p for p in top_level if role in READERS[PAGES[p]]}, role
