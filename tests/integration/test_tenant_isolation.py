"""Tenant isolation as a property, through the HTTP API: whatever two or three owners do with
API keys, sessions and their accounts — using each other's ids too — none ever sees or touches
another's data. Another account's id answers exactly like an id that does not exist.

Each example signs up fresh owners on the same app (earlier examples' owners stay around, as
neighbours). The clock is a manual one, moved on between examples so the sign-up and sign-in
rate limits (every request comes from the same test client address) never get in the way.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.workspaces import Membership, Role
from tests.integration.accounts_support import (
    App,
    bearer,
    cookie_from,
    problem,
    serve,
    sign_in,
    sign_up_and_verify,
    with_session,
)

# A third of the profile's examples (dev: 16, ci: 66): each example is a few dozen requests.
EXAMPLES = max(5, settings().max_examples // 3)
SIGN_INS_PER_OWNER = 6  # well under the per-account limit within one example
_emails = itertools.count()
# Revoking (and using) ids, one's own or another's, is where isolation is won or lost: drawn more often.
ACTIONS = [
    "create_key",
    "list_keys",
    "revoke_key",
    "revoke_key",
    "revoke_key",
    "use_key",
    "use_key",
    "sign_in",
    "list_sessions",
    "revoke_session",
    "revoke_session",
    "get_account",
    "patch_account",
    "key_on_account",
]
SCOPES = [
    "agents:read",
    "agents:write",
    "knowledge:read",
    "knowledge:write",
    "conversations:read",
    "conversations:write",
    "usage:read",
    "usage:write",
]


@dataclass
class Session:
    id: str
    token: str
    csrf: str


@dataclass
class Owner:
    account_id: str
    email: str
    password: str
    full_name: str
    sessions: dict[str, Session] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # live: id -> secret
    revoked_keys: dict[str, str] = field(default_factory=dict)
    ended_sessions: dict[str, Session] = field(default_factory=dict)
    sign_ins: int = 0


@dataclass
class Isolated:
    app: App
    clock: ManualClock
    missing: dict[str, dict[str, Any]] = field(default_factory=dict)  # what a missing id answers


@pytest.fixture(params=["postgres", "memory"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    return request.param, request.getfixturevalue("pg_conninfo") if request.param == "postgres" else None


@pytest.fixture
async def world(backend: tuple[str, str | None], tmp_path: Path) -> AsyncIterator[Isolated]:
    clock = ManualClock(datetime.now(UTC))  # today: a privacy policy is in force
    async with serve(
        backend[0], tmp_path / "aioomi", backend[1], configure=lambda c: c.clock.override(providers.Object(clock))
    ) as app:
        yield Isolated(app=app, clock=clock)


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in ("type", "title", "status", "detail", "code")} | {"errors": body.get("errors")}


# -- the owners' moves --------------------------------------------------------------------------


async def auth_headers(world: Isolated, owner: Owner, data: st.DataObject) -> dict[str, str]:
    """Credentials of ``owner`` for its account's routes: one of its live sessions (with its CSRF
    token). API keys never reach them (see ``key_on_account``)."""
    choices: list[dict[str, str]] = [with_session(s.token, s.csrf) for s in owner.sessions.values()]
    if not choices:
        await new_session(world, owner)
        return await auth_headers(world, owner, data)
    return data.draw(st.sampled_from(choices), label="credentials")


async def new_session(world: Isolated, owner: Owner) -> None:
    client = world.app.client
    response = await sign_in(client, owner.email, owner.password)
    client.cookies.clear()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"]["id"] == owner.account_id
    owner.sessions[body["session_id"]] = Session(body["session_id"], cookie_from(response), body["csrf_token"])
    owner.sign_ins += 1


async def expect_missing(world: Isolated, response: Any, kind: str, code: str) -> None:
    body = problem(response, 404, code)
    assert comparable(body) == world.missing[kind], (body, world.missing[kind])


async def still_works_for_its_owner(
    world: Isolated, owners: list[Owner], key_id: str | None = None, session_id: str | None = None
) -> None:
    """A key or session an intruder tried to revoke still authenticates its owner."""
    client = world.app.client
    for owner in owners:
        if key_id in owner.keys:
            response = await client.get("/api/v1/auth/session", headers=bearer(owner.keys[key_id]))
            assert response.status_code == 200 and response.json()["account_id"] == owner.account_id
        if session_id in owner.sessions:
            session = owner.sessions[session_id]
            response = await client.get("/api/v1/auth/session", headers=with_session(session.token))
            assert response.status_code == 200 and response.json()["account_id"] == owner.account_id


def pick(data: st.DataObject, own: list[str], others: list[str], missing: str, label: str) -> str:
    """An id of the owner's, of another owner's (the interesting case), or of nobody's."""
    pools = [pool for pool in (own, others, [missing]) if pool]
    return data.draw(st.sampled_from(data.draw(st.sampled_from(pools), label=f"whose {label}")), label=label)


async def step(world: Isolated, owners: list[Owner], data: st.DataObject) -> None:
    client = world.app.client
    owner = data.draw(st.sampled_from(owners), label="actor")
    action = data.draw(st.sampled_from(ACTIONS), label="action")
    # In an order the draws alone decide (ids are random: sorting them would not replay).
    all_keys = [k for o in owners for k in (*o.keys, *o.revoked_keys)]
    all_sessions = [s for o in owners for s in (*o.sessions, *o.ended_sessions)]
    own_keys, own_sessions = [*owner.keys, *owner.revoked_keys], [*owner.sessions, *owner.ended_sessions]

    if action == "sign_in" and owner.sign_ins < SIGN_INS_PER_OWNER:
        await new_session(world, owner)

    elif action == "create_key":
        name = data.draw(
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
                str.strip
            ),
            label="key name",
        )
        response = await client.post(
            "/api/v1/api-keys", json={"name": name, "scopes": SCOPES}, headers=await auth_headers(world, owner, data)
        )
        assert response.status_code == 201, response.text
        owner.keys[response.json()["id"]] = response.json()["secret"]

    elif action == "list_keys":
        response = await client.get("/api/v1/api-keys", headers=await auth_headers(world, owner, data))
        assert response.status_code == 200, response.text
        assert {k["id"] for k in response.json()["data"]} == set(owner.keys)

    elif action == "revoke_key":
        target = pick(data, own_keys, [k for k in all_keys if k not in own_keys], new_id("key"), "key id")
        response = await client.delete(f"/api/v1/api-keys/{target}", headers=await auth_headers(world, owner, data))
        if target in owner.keys:
            assert response.status_code == 204, response.text
            owner.revoked_keys[target] = owner.keys.pop(target)
        else:
            event("revoke a key of another owner" if target in all_keys else "revoke a missing key")
            await expect_missing(world, response, "key", "api_key_not_found")
            await still_works_for_its_owner(world, owners, key_id=target)

    elif action == "use_key":
        target = data.draw(st.sampled_from([*all_keys, new_id("key")]), label="key to use")
        holder = next((o for o in owners if target in o.keys or target in o.revoked_keys), None)
        if holder is None:
            return
        secret = holder.keys.get(target) or holder.revoked_keys[target]
        response = await client.get("/api/v1/auth/session", headers=bearer(secret))
        if target in holder.keys:
            assert response.status_code == 200 and response.json()["account_id"] == holder.account_id, response.text
        else:
            problem(response, 401, "invalid_api_key")

    elif action == "key_on_account":
        if not owner.keys:
            return
        secret = data.draw(st.sampled_from(list(owner.keys.values())), label="key")
        route = data.draw(
            st.sampled_from(
                [
                    ("GET", "/api/v1/account"),
                    ("GET", "/api/v1/api-keys"),
                    ("GET", "/api/v1/account/sessions"),
                    ("POST", "/api/v1/auth/sign-out-everywhere"),
                ]
            ),
            label="account route",
        )
        problem(await client.request(route[0], route[1], headers=bearer(secret)), 403, "session_required")

    elif action == "list_sessions":
        response = await client.get("/api/v1/account/sessions", headers=await auth_headers(world, owner, data))
        assert response.status_code == 200, response.text
        assert {s["id"] for s in response.json()["data"]} == set(owner.sessions)

    elif action == "revoke_session":
        target = pick(
            data, own_sessions, [s for s in all_sessions if s not in own_sessions], new_id("lgn"), "session id"
        )
        headers = await auth_headers(world, owner, data)
        response = await client.delete(f"/api/v1/account/sessions/{target}", headers=headers)
        if target in owner.sessions:
            assert response.status_code == 204, response.text
            owner.ended_sessions[target] = owner.sessions.pop(target)
            gone = owner.ended_sessions[target]
            problem(await client.get("/api/v1/account", headers=with_session(gone.token)), 401)
        else:
            event("revoke a session of another owner" if target in all_sessions else "revoke a missing session")
            await expect_missing(world, response, "session", "session_not_found")
            await still_works_for_its_owner(world, owners, session_id=target)

    elif action == "get_account":
        response = await client.get("/api/v1/account", headers=await auth_headers(world, owner, data))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["id"], body["email"], body["full_name"]) == (owner.account_id, owner.email, owner.full_name)

    elif action == "patch_account":
        name = data.draw(st.sampled_from(["Ada", "Bob", "Carol", "Mallory", "Eve"]), label="new name")
        response = await client.patch(
            "/api/v1/account",
            json={"full_name": f"{name} {owner.email[:6]}"},
            headers=await auth_headers(world, owner, data),
        )
        assert response.status_code == 200, response.text
        owner.full_name = f"{name} {owner.email[:6]}"
        assert response.json()["id"] == owner.account_id


async def check_everyone(world: Isolated, owners: list[Owner], data: st.DataObject) -> None:
    """Each owner's view is exactly its own: keys, sessions, account."""
    client = world.app.client
    mine = {o.account_id: o for o in owners}
    for owner in owners:
        headers = await auth_headers(world, owner, data)
        keys = (await client.get("/api/v1/api-keys", headers=headers)).json()["data"]
        assert {k["id"] for k in keys} == set(owner.keys)
        sessions = (await client.get("/api/v1/account/sessions", headers=headers)).json()["data"]
        assert {s["id"] for s in sessions} == set(owner.sessions)
        account = (await client.get("/api/v1/account", headers=headers)).json()
        assert account["id"] == owner.account_id and account["full_name"] == mine[owner.account_id].full_name
        for revoked in owner.revoked_keys.values():
            problem(await client.get("/api/v1/auth/session", headers=bearer(revoked)), 401, "invalid_api_key")


# -- the property -------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_owners_never_see_or_touch_each_others_data(world: Isolated, data: st.DataObject) -> None:
    world.clock.advance(timedelta(hours=2))  # fresh rate-limit windows for this example
    client = world.app.client
    owners: list[Owner] = []
    for _ in range(data.draw(st.integers(min_value=2, max_value=3), label="owners")):
        email = f"owner{next(_emails)}@example.com"
        signed = await sign_up_and_verify(world.app, email, full_name=f"Owner {email[:8]}")
        client.cookies.clear()
        owner = Owner(
            account_id=signed.account_id, email=email, password=signed.password, full_name=f"Owner {email[:8]}"
        )
        owner.sessions[signed.session_id] = Session(signed.session_id, signed.session_token, signed.csrf)
        created = await client.post(
            "/api/v1/api-keys", json={"name": "first", "scopes": SCOPES}, headers=signed.headers()
        )
        assert created.status_code == 201, created.text
        owner.keys[created.json()["id"]] = created.json()["secret"]
        owners.append(owner)
    if not world.missing:
        headers = with_session(
            owners[0].sessions[next(iter(owners[0].sessions))].token,
            owners[0].sessions[next(iter(owners[0].sessions))].csrf,
        )
        world.missing["key"] = comparable(
            problem(await client.delete(f"/api/v1/api-keys/{new_id('key')}", headers=headers), 404)
        )
        world.missing["session"] = comparable(
            problem(await client.delete(f"/api/v1/account/sessions/{new_id('lgn')}", headers=headers), 404)
        )

    for _ in range(data.draw(st.integers(min_value=3, max_value=14), label="steps")):
        await step(world, owners, data)

    await check_everyone(world, owners, data)


# -- members and roles (issue 21) ---------------------------------------------------------------

# From the words, not from the domain's table: who may write agents, who may manage
# keys, and when one role grants nothing another does not (every role but owner is within
# admin; owner only within owner; the three narrow roles are not within each other).
AGENT_WRITERS = {"owner", "admin", "editor"}
KEY_MANAGERS = {"owner", "admin"}
ROLES = ["owner", "admin", "editor", "support", "viewer"]


def within(role: str, limit: str) -> bool:
    return role == limit or limit == "owner" or (limit == "admin" and role != "owner")


@dataclass
class Team:
    """The model: the member's role in the owner's workspace (None: removed) and their keys."""

    role: str | None = None
    keys: list[tuple[str, str]] = field(default_factory=list)  # (secret, role)
    owners_agents: int = 0


async def set_membership(world: Isolated, workspace: str, person: str, role: str | None) -> None:
    async with world.app.container.uow()(account_id=workspace) as uow:
        if role is None:
            await uow.workspaces.remove_member(workspace, person)
        else:
            await uow.workspaces.put_member(
                Membership(workspace_id=workspace, account_id=person, role=Role(role), created_at=world.clock.now())
            )
        await uow.commit()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_a_members_role_holds_and_a_removed_member_is_refused_at_once(
    world: Isolated, data: st.DataObject
) -> None:
    world.clock.advance(timedelta(hours=2))
    client = world.app.client
    owner = await sign_up_and_verify(world.app, f"owner{next(_emails)}@example.com")
    client.cookies.clear()
    member = await sign_up_and_verify(world.app, f"member{next(_emails)}@example.com")
    client.cookies.clear()
    team = Team(role=data.draw(st.sampled_from(ROLES), label="first role"))
    await set_membership(world, owner.account_id, member.account_id, team.role)
    switched = await client.post(
        "/api/v1/workspaces/current", json={"workspace_id": owner.account_id}, headers=member.headers()
    )
    assert switched.status_code == 200, switched.text

    async def owners_agents() -> int:
        listed = await client.get("/api/v1/agents", headers=owner.headers())
        return len(listed.json()["data"])

    for _ in range(data.draw(st.integers(min_value=3, max_value=10), label="steps")):
        action = data.draw(st.sampled_from(["role", "remove", "write", "make_key", "use_key"]), label="action")
        event(action)
        if action == "role":
            team.role = data.draw(st.sampled_from(ROLES), label="role")
            await set_membership(world, owner.account_id, member.account_id, team.role)
        elif action == "remove" and team.role is not None:
            team.role = None
            await set_membership(world, owner.account_id, member.account_id, None)
        elif action == "write":
            response = await client.post("/api/v1/agents", json={"name": "By member"}, headers=member.headers())
            if team.role is None:  # back in their own workspace at once: the owner's is untouched
                assert response.status_code == 201, response.text
            elif team.role in AGENT_WRITERS:
                assert response.status_code == 201, response.text
                team.owners_agents += 1
            else:
                problem(response, 403, "forbidden_by_role")
        elif action == "make_key" and team.role is not None:
            wanted = data.draw(st.sampled_from(ROLES), label="key role")
            response = await client.post(
                "/api/v1/api-keys",
                json={"name": "k", "scopes": ["agents:read", "agents:write"], "role": wanted},
                headers=member.headers(),
            )
            if team.role in KEY_MANAGERS and within(wanted, team.role):
                assert response.status_code == 201, response.text
                team.keys.append((response.json()["secret"], wanted))
            else:
                problem(response, 403, "forbidden_by_role")
        elif action == "use_key" and team.keys:
            secret, key_role = data.draw(st.sampled_from(team.keys), label="key")
            response = await client.post("/api/v1/agents", json={"name": "By key"}, headers=bearer(secret))
            if team.role is None or not within(key_role, team.role):
                problem(response, 401, "invalid_api_key")
            elif key_role in AGENT_WRITERS:
                assert response.status_code == 201, response.text
                team.owners_agents += 1
            else:
                problem(response, 403, "forbidden_by_role")
        assert await owners_agents() == team.owners_agents
