"""The dashboard with teams (issue 21, layer D): the navigation follows the role, a member of
several workspaces gets a switcher, and owners and admins get the members page."""

from __future__ import annotations

from tests.integration.accounts_support import (  # noqa: F401 - pg_app is a fixture
    App,
    last_mail_to,
    link_token,
    pg_app,
    sign_up_and_verify,
)


def nav_links(html: str) -> list[str]:
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return [part.split('"', 1)[0] for part in nav.split('<a href="')[1:]]


async def test_a_support_member_sees_the_inbox_and_conversations_and_the_owner_the_members(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    invited = await app.client.post(
        "/api/v1/workspace/invitations", json={"email": "sam@example.com", "role": "support"}, headers=ada.headers()
    )
    assert invited.status_code == 201, invited.text
    token = link_token(last_mail_to(app.outbox(), "sam@example.com", "workspace_invitation"))
    sam = await sign_up_and_verify(app, "sam@example.com", invitation_token=token)

    # in their own workspace sam owns everything, and a switcher offers ada's
    own = await app.client.get("/dashboard/inbox", headers=sam.headers())
    assert own.status_code == 200, own.text
    assert "/dashboard/billing" in nav_links(own.text)
    assert 'id="workspace-switch"' in own.text and f'value="{ada.account_id}"' in own.text
    switched = await app.client.post(
        "/api/v1/workspaces/current", json={"workspace_id": ada.account_id}, headers=sam.headers()
    )
    assert switched.status_code == 200, switched.text

    inbox = await app.client.get("/dashboard/inbox", headers=sam.headers())
    assert inbox.status_code == 200, inbox.text
    assert nav_links(inbox.text) == [
        "/dashboard/conversations",
        "/dashboard/inbox",
        "/dashboard/leads",
        "/dashboard/account",
    ]
    refused = await app.client.get("/dashboard/members", headers=sam.headers())
    assert refused.status_code == 403

    members = await app.client.get("/dashboard/members", headers=ada.headers())
    assert members.status_code == 200, members.text
    assert "/dashboard/members" in nav_links(members.text)
    assert "sam@example.com" in members.text and "support" in members.text
    assert 'data-api="/api/v1/workspace/invitations"' in members.text
    assert f'data-api="/api/v1/workspace/members/{sam.account_id}"' in members.text  # remove button
    assert 'id="workspace-switch"' not in members.text  # ada belongs to one workspace only


async def test_the_top_bar_offers_a_new_workspace_and_owners_get_the_danger_zone(pg_app: App) -> None:
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    page = await app.client.get("/dashboard/members", headers=ada.headers())
    assert page.status_code == 200, page.text
    assert 'data-api="/api/v1/workspaces" data-method="POST" data-then="switch"' in page.text  # "New workspace"
    assert f'data-api="/api/v1/workspaces/{ada.account_id}" data-method="DELETE"' in page.text
    assert 'name="confirm_name"' in page.text
    # A workspace's export is listed with the person's own on the account page, marked as such.
    asked = await app.client.post(f"/api/v1/workspaces/{ada.account_id}/export", headers=ada.headers())
    assert asked.status_code == 202, asked.text
    account = await app.client.get("/dashboard/account", headers=ada.headers())
    assert account.text.count("(a workspace's data)") == 1
    assert f'data-api="/api/v1/workspaces/{ada.account_id}/export" data-method="POST" data-then="export"' in page.text

    invited = await app.client.post(
        "/api/v1/workspace/invitations", json={"email": "al@example.com", "role": "admin"}, headers=ada.headers()
    )
    assert invited.status_code == 201, invited.text
    token = link_token(last_mail_to(app.outbox(), "al@example.com", "workspace_invitation"))
    al = await sign_up_and_verify(app, "al@example.com", invitation_token=token)
    switched = await app.client.post(
        "/api/v1/workspaces/current", json={"workspace_id": ada.account_id}, headers=al.headers()
    )
    assert switched.status_code == 200, switched.text
    as_admin = await app.client.get("/dashboard/members", headers=al.headers())
    assert as_admin.status_code == 200, as_admin.text
    assert 'id="delete-workspace-zone"' not in as_admin.text  # an admin may not delete it
    assert 'id="export-workspace"' not in as_admin.text  # nor export it
    assert 'data-then="switch"' in as_admin.text  # but may create a workspace of their own
