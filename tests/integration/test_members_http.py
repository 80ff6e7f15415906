"""Members and invitations through the HTTP API on Postgres (issue 21, layer C): invite by
e-mail (the outbox), sign up or sign in to accept, resend and revoke, change roles, remove a
member (refused at their next request), transfer the ownership, leave; the last owner can
neither leave nor be demoted; the audit log says which member did what."""

from __future__ import annotations

from typing import Any

from tests.integration.accounts_support import (  # noqa: F401 - pg_app is a fixture
    App,
    Owner,
    last_mail_to,
    link_token,
    mails_to,
    pg_app,
    problem,
    sign_up_and_verify,
)

INVITATIONS = "/api/v1/workspace/invitations"
MEMBERS = "/api/v1/workspace/members"


async def invite(app: App, by: Owner, email: str, role: str) -> tuple[dict[str, Any], str]:
    response = await app.client.post(INVITATIONS, json={"email": email, "role": role}, headers=by.headers())
    assert response.status_code == 201, response.text
    return response.json(), link_token(last_mail_to(app.outbox(), email, "workspace_invitation"))


async def workspaces(app: App, who: Owner) -> list[tuple[str, str]]:
    listed = (await app.client.get("/api/v1/workspaces", headers=who.headers())).json()["data"]
    return [(w["id"], w["role"]) for w in listed]


async def switch(app: App, who: Owner, workspace: str) -> None:
    response = await app.client.post(
        "/api/v1/workspaces/current", json={"workspace_id": workspace}, headers=who.headers()
    )
    assert response.status_code == 200, response.text


async def test_an_invited_support_member_signs_up_from_the_link_and_is_removed(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    invitation, token = await invite(app, ada, "sam@example.com", "support")
    assert (invitation["email"], invitation["role"], invitation["status"]) == ("sam@example.com", "support", "pending")
    mail = last_mail_to(app.outbox(), "sam@example.com", "workspace_invitation")
    assert "support" in mail.text and "/invitations/accept?token=" in mail.text

    sam = await sign_up_and_verify(app, "sam@example.com", invitation_token=token)
    assert await workspaces(app, sam) == [(sam.account_id, "owner"), (ada.account_id, "support")]
    await switch(app, sam, ada.account_id)
    assert (await app.client.get("/api/v1/handoffs", headers=sam.headers())).status_code == 200
    problem(
        await app.client.post("/api/v1/agents", json={"name": "X"}, headers=sam.headers()), 403, "forbidden_by_role"
    )
    problem(await app.client.get(MEMBERS, headers=sam.headers()), 403, "forbidden_by_role")

    members = (await app.client.get(MEMBERS, headers=ada.headers())).json()["data"]
    assert [(m["account_id"], m["email"], m["role"]) for m in members] == [
        (ada.account_id, "ada@example.com", "owner"),
        (sam.account_id, "sam@example.com", "support"),
    ]
    assert (await app.client.get(INVITATIONS, headers=ada.headers())).json()["data"] == []  # used

    removed = await app.client.delete(f"{MEMBERS}/{sam.account_id}", headers=ada.headers())
    assert removed.status_code == 204, removed.text
    who = (await app.client.get("/api/v1/auth/session", headers=sam.headers())).json()
    assert (who["workspace_id"], who["role"]) == (sam.account_id, "owner")  # at once
    assert await workspaces(app, sam) == [(sam.account_id, "owner")]
    problem(
        await app.client.post(
            "/api/v1/workspaces/current", json={"workspace_id": ada.account_id}, headers=sam.headers()
        ),
        403,
        "not_a_member",
    )

    events = (await app.client.get("/api/v1/workspace/audit", headers=ada.headers())).json()["data"]
    assert [(e["action"], e["actor_id"], e["subject"]) for e in events] == [
        ("member.removed", ada.account_id, sam.account_id),
        ("member.joined", sam.account_id, sam.account_id),
        ("invitation.created", ada.account_id, invitation["id"]),
    ]


async def test_resend_revoke_and_accept_when_signed_in(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    cy = await sign_up_and_verify(app, "cy@example.com")
    accept = "/api/v1/invitations/accept"

    first, old_token = await invite(app, ada, "bob@example.com", "editor")
    resent = await app.client.post(f"{INVITATIONS}/{first['id']}/resend", headers=ada.headers())
    assert resent.status_code == 200, resent.text
    assert len(mails_to(app.outbox(), "bob@example.com", "workspace_invitation")) == 2
    new_token = link_token(last_mail_to(app.outbox(), "bob@example.com", "workspace_invitation"))
    assert new_token != old_token
    problem(
        await app.client.post(accept, json={"token": old_token}, headers=bob.headers()), 404, "invitation_not_found"
    )
    problem(
        await app.client.post(accept, json={"token": new_token}, headers=cy.headers()), 403, "invitation_email_mismatch"
    )
    joined = await app.client.post(accept, json={"token": new_token}, headers=bob.headers())
    assert joined.status_code == 200, joined.text
    assert joined.json() == {"workspace_id": ada.account_id, "account_id": bob.account_id, "role": "editor"}
    problem(
        await app.client.post(accept, json={"token": new_token}, headers=bob.headers()), 409, "invitation_not_pending"
    )
    problem(
        await app.client.post(INVITATIONS, json={"email": "bob@example.com", "role": "viewer"}, headers=ada.headers()),
        409,
        "already_member",
    )

    revoked, cy_token = await invite(app, ada, "cy@example.com", "viewer")
    gone = await app.client.delete(f"{INVITATIONS}/{revoked['id']}", headers=ada.headers())
    assert gone.status_code == 204, gone.text
    problem(
        await app.client.post(accept, json={"token": cy_token}, headers=cy.headers()), 409, "invitation_not_pending"
    )
    assert await workspaces(app, cy) == [(cy.account_id, "owner")]

    # nobody is invited as owner; an editor invites nobody
    problem(
        await app.client.post(INVITATIONS, json={"email": "d@example.com", "role": "owner"}, headers=ada.headers()),
        403,
        "forbidden_by_role",
    )
    await switch(app, bob, ada.account_id)
    problem(
        await app.client.post(INVITATIONS, json={"email": "d@example.com", "role": "viewer"}, headers=bob.headers()),
        403,
        "forbidden_by_role",
    )


async def test_the_last_owner_stays_until_the_ownership_is_transferred(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    _, token = await invite(app, ada, "bob@example.com", "admin")
    assert (
        await app.client.post("/api/v1/invitations/accept", json={"token": token}, headers=bob.headers())
    ).status_code == 200
    await switch(app, bob, ada.account_id)

    problem(await app.client.post("/api/v1/workspace/leave", headers=ada.headers()), 409, "last_owner")
    problem(
        await app.client.patch(f"{MEMBERS}/{ada.account_id}", json={"role": "admin"}, headers=ada.headers()),
        409,
        "last_owner",
    )
    # an admin touches no owner and makes nobody owner
    problem(
        await app.client.patch(f"{MEMBERS}/{ada.account_id}", json={"role": "viewer"}, headers=bob.headers()),
        403,
        "forbidden_by_role",
    )
    problem(await app.client.delete(f"{MEMBERS}/{ada.account_id}", headers=bob.headers()), 403, "forbidden_by_role")
    problem(
        await app.client.patch(f"{MEMBERS}/{bob.account_id}", json={"role": "owner"}, headers=bob.headers()),
        403,
        "forbidden_by_role",
    )

    moved = await app.client.post(
        "/api/v1/workspace/transfer", json={"account_id": bob.account_id}, headers=ada.headers()
    )
    assert moved.status_code == 204, moved.text
    roles = {m["account_id"]: m["role"] for m in (await app.client.get(MEMBERS, headers=bob.headers())).json()["data"]}
    assert roles == {ada.account_id: "admin", bob.account_id: "owner"}
    assert (await app.client.post("/api/v1/workspace/leave", headers=ada.headers())).status_code == 204
    members = (await app.client.get(MEMBERS, headers=bob.headers())).json()["data"]
    assert [m["account_id"] for m in members] == [bob.account_id]
    # ada, in no workspace now (her own was handed over), sees nothing and writes nothing
    assert await workspaces(app, ada) == []
    who = (await app.client.get("/api/v1/auth/session", headers=ada.headers())).json()
    assert (who["workspace_id"], who["role"]) == ("", "viewer")
    assert (await app.client.get("/api/v1/agents", headers=ada.headers())).json()["data"] == []
    problem(
        await app.client.post("/api/v1/agents", json={"name": "X"}, headers=ada.headers()), 403, "forbidden_by_role"
    )


async def test_owners_and_admins_rename_the_workspace(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    renamed = await app.client.patch("/api/v1/workspace", json={"name": "  Ada's   shop "}, headers=ada.headers())
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"id": ada.account_id, "name": "Ada's shop"}
    listed = (await app.client.get("/api/v1/workspaces", headers=ada.headers())).json()["data"]
    assert [w["name"] for w in listed] == ["Ada's shop"]
    problem(
        await app.client.patch("/api/v1/workspace", json={"name": "x" * 101}, headers=ada.headers()),
        422,
        "invalid_workspace_name",
    )
    bob = await sign_up_and_verify(app, "bob@example.com")
    _, token = await invite(app, ada, "bob@example.com", "editor")
    assert (
        await app.client.post("/api/v1/invitations/accept", json={"token": token}, headers=bob.headers())
    ).status_code == 200
    await switch(app, bob, ada.account_id)
    problem(
        await app.client.patch("/api/v1/workspace", json={"name": "Bob's"}, headers=bob.headers()),
        403,
        "forbidden_by_role",
    )
    events = (await app.client.get("/api/v1/workspace/audit", headers=ada.headers())).json()["data"]
    assert [e["action"] for e in events][-1] == "workspace.renamed"
