"""A workspace's state follows its owners (issue 21), over HTTP on Postgres with the real
worker: the person who happens to share a workspace's id no longer decides whether its widget
answers and its documents are ingested. After an ownership transfer the first owner's erasure
leaves the workspace serving; with two owners one restriction changes nothing and two stop it
until one is lifted; a workspace no account shares the id of serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from aioomi.container import start, stop
from aioomi.domain.model.workspaces import Membership, Role, Workspace
from aioomi.entrypoints.worker.jobs import build_worker
from tests.integration.accounts_support import (
    PASSWORD,
    App,
    Owner,
    build_container,
    last_mail_to,
    link_token,
    problem,
    serve,
    sign_up_and_verify,
)

ORIGIN = "https://shop.example.com"
WIDGET = {"origin": ORIGIN, "x-visitor-id": "visitor-workspace-state-00001"}
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path) -> AsyncIterator[App]:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo, account_deletion_grace_days=0) as served:
        yield served


async def rows(app: App, sql: str, *params: object) -> int:
    """``SELECT count(*)`` as the database owner, whatever the tenant."""
    async with await psycopg.AsyncConnection.connect(app.conninfo or "", autocommit=True) as conn:
        row = await (await conn.execute(sql, params)).fetchone()
    assert row is not None
    return int(row[0])


async def run_worker(app: App) -> None:
    """The worker in a container of its own, as in production."""
    container = build_container("postgres", app.settings, app.conninfo)
    await start(container)
    try:
        await build_worker(container).run_until_idle()
    finally:
        await stop(container)


async def purge(app: App) -> int:
    container = build_container("postgres", app.settings, app.conninfo)
    await start(container)
    try:
        return int(await container.purge_deleted_accounts()())
    finally:
        await stop(container)


async def new_agent(app: App, who: Owner) -> dict[str, Any]:
    made = await app.client.post(
        "/api/v1/agents", json={"name": "Shop", "allowed_origins": [ORIGIN]}, headers=who.headers()
    )
    assert made.status_code == 201, made.text
    return made.json()


async def widget_answers(app: App, agent: dict[str, Any]) -> None:
    session = await app.client.post(f"/api/v1/widget/{agent['public_key']}/sessions", headers=WIDGET)
    assert session.status_code == 201, session.text
    answer = await app.client.post(
        f"/api/v1/widget/{agent['public_key']}/sessions/{session.json()['id']}/messages",
        headers=WIDGET,
        json={"content": "When do you open?"},
    )
    assert answer.status_code == 200, answer.text
    assert "event: done" in answer.text, answer.text


async def widget_refuses(app: App, agent: dict[str, Any]) -> dict[str, Any]:
    return problem(
        await app.client.post(f"/api/v1/widget/{agent['public_key']}/sessions", headers=WIDGET),
        403,
        "agent_restricted",
    )


async def upload(app: App, who: Owner, agent: dict[str, Any], title: str) -> str:
    uploaded = await app.client.post(
        f"/api/v1/agents/{agent['id']}/documents",
        json={"text": f"# {title}\n\nOpen nine to five, every day.", "title": title},
        headers=who.headers(),
    )
    assert uploaded.status_code == 202, uploaded.text
    return f"/api/v1/agents/{agent['id']}/documents/{uploaded.json()['id']}"


async def status_of(app: App, who: Owner, document: str) -> str:
    return str((await app.client.get(document, headers=who.headers())).json()["status"])


async def switch(app: App, who: Owner, workspace: str) -> None:
    switched = await app.client.post(
        "/api/v1/workspaces/current", json={"workspace_id": workspace}, headers=who.headers()
    )
    assert switched.status_code == 200, switched.text


async def join_as(app: App, owner: Owner, member: Owner, role: str) -> None:
    """``member`` joins ``owner``'s workspace through an e-mailed invitation."""
    invited = await app.client.post(
        "/api/v1/workspace/invitations", json={"email": member.email, "role": role}, headers=owner.headers()
    )
    assert invited.status_code == 201, invited.text
    token = link_token(last_mail_to(app.outbox(), member.email, "workspace_invitation"))
    accepted = await app.client.post("/api/v1/invitations/accept", json={"token": token}, headers=member.headers())
    assert accepted.status_code == 200, accepted.text


async def test_after_a_transfer_the_first_owners_erasure_leaves_the_workspace_serving(app: App) -> None:
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    agent = await new_agent(app, ada)  # in ada's workspace: the one with her id
    await join_as(app, ada, bob, "admin")
    moved = await app.client.post(
        "/api/v1/workspace/transfer", json={"account_id": bob.account_id}, headers=ada.headers()
    )
    assert moved.status_code == 204, moved.text

    erased = await app.client.request("DELETE", "/api/v1/account", json={"password": PASSWORD}, headers=ada.headers())
    assert erased.status_code == 202, erased.text
    assert await purge(app) == 1
    assert await rows(app, "SELECT count(*) FROM accounts WHERE id = %s", ada.account_id) == 0
    # Nobody has the workspace's id any more: its owner is bob, who is active.
    assert await rows(app, "SELECT count(*) FROM workspaces WHERE id = %s", ada.account_id) == 1

    await widget_answers(app, agent)
    await switch(app, bob, ada.account_id)
    document = await upload(app, bob, agent, "Hours")
    await run_worker(app)
    assert await status_of(app, bob, document) == "ready"
    assert await rows(app, "SELECT count(*) FROM knowledge_chunks WHERE account_id = %s", ada.account_id) >= 1


async def test_two_owners_one_restriction_serves_two_stop_it_and_one_lift_requeues(app: App) -> None:
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    agent = await new_agent(app, ada)
    await join_as(app, ada, bob, "admin")
    # A second owner: the API makes owners only by transfer (which demotes the giver), so the
    # store adds one here, as a workspace with several owners has them.
    async with app.container.uow()(account_id=ada.account_id) as uow:
        await uow.workspaces.put_member(
            Membership(workspace_id=ada.account_id, account_id=bob.account_id, role=Role.OWNER, created_at=T0)
        )
        await uow.commit()
    restriction = "/api/v1/account/privacy/restriction"

    # One owner restricts: the other is active, the workspace goes on answering and ingesting.
    assert (await app.client.put(restriction, headers=ada.headers())).status_code == 200
    await widget_answers(app, agent)
    await switch(app, bob, ada.account_id)
    shared = await upload(app, bob, agent, "Opening")
    await run_worker(app)
    assert await status_of(app, bob, shared) == "ready"

    # Both restrict: agent_restricted, and a new upload stays queued however often the worker runs.
    assert (await app.client.put(restriction, headers=bob.headers())).status_code == 200
    refused = await widget_refuses(app, agent)
    assert refused["detail"] == (
        "This assistant is unavailable for now, at its owner's request; it cannot answer messages."
    )
    waiting = await upload(app, bob, agent, "Holidays")
    await run_worker(app)
    await run_worker(app)
    assert await status_of(app, bob, waiting) == "queued"

    # Bob lifts his: the workspace serves again and the waiting upload is queued again, then ingested.
    assert (await app.client.delete(restriction, headers=bob.headers())).status_code in (200, 204)
    await widget_answers(app, agent)
    await run_worker(app)
    assert await status_of(app, bob, waiting) == "ready"


async def test_a_workspace_no_account_shares_the_id_of_answers_in_the_widget(app: App) -> None:
    ada = await sign_up_and_verify(app, "ada@example.com")
    # Created through the store (the endpoint comes with another branch): a new id, ada its owner.
    async with app.container.uow()(account_id="acct_teamworkspace0001") as uow:
        await uow.workspaces.add(
            Workspace(id="acct_teamworkspace0001", name="Team", created_at=T0, updated_at=T0),
            Membership(
                workspace_id="acct_teamworkspace0001", account_id=ada.account_id, role=Role.OWNER, created_at=T0
            ),
        )
        await uow.commit()
    await switch(app, ada, "acct_teamworkspace0001")
    agent = await new_agent(app, ada)
    assert await rows(app, "SELECT count(*) FROM agents WHERE account_id = %s", "acct_teamworkspace0001") == 1
    assert await rows(app, "SELECT count(*) FROM accounts WHERE id = %s", "acct_teamworkspace0001") == 0

    await widget_answers(app, agent)
    document = await upload(app, ada, agent, "Hours")
    await run_worker(app)
    assert await status_of(app, ada, document) == "ready"

    # ... and it stops with its owner: ada restricts, the team's widget refuses.
    assert (await app.client.put("/api/v1/account/privacy/restriction", headers=ada.headers())).status_code == 200
    await widget_refuses(app, agent)
