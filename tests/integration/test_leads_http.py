"""Lead capture over HTTP on Postgres: the owner sets an agent's form; the widget reads it and
submits leads (every bad field named in words, nothing stored; a good one stored with its
conversation, a webhook event and the owner's e-mail); the owner lists, filters, exports CSV
(formula injection neutralised) and deletes; leads of another account stay unseen; erasing the
account takes the leads along."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.integration.accounts_support import mails_to, problem, sign_up_and_verify
from tests.integration.chat_support import VISITOR, ChatApp, chat_app
from tests.integration.test_documents_http import run_worker, sql

FORM = {
    "enabled": True,
    "trigger": "after_messages",
    "after_messages": 2,
    "intro": "Want a quote? Leave your details.",
    "consent_text": "I agree that Kettle Shop stores my details to answer me.",
    "privacy_url": "https://shop.example.com/privacy",
    "fields": [
        {"key": "name", "kind": "name", "label": "Name", "required": True},
        {"key": "email", "kind": "email", "label": "E-mail", "required": True},
        {"key": "phone", "kind": "phone", "label": "Phone"},
        {"key": "company", "kind": "company", "label": "Company"},
        {"key": "size", "kind": "choice", "label": "Team size", "options": ["1-10", "11-50", "51+"]},
    ],
}


@pytest.fixture
async def chat(pg_conninfo: str, tmp_path: Path):
    async with chat_app(tmp_path, pg_conninfo) as chat:
        yield chat


def form_url(chat: ChatApp) -> str:
    return f"/api/v1/agents/{chat.agent['id']}/lead-form"


async def test_a_visitor_leaves_details_checked_field_by_field_and_the_owner_lists_exports_and_deletes(
    chat: ChatApp,
) -> None:
    owner = chat.owner
    default = (await chat.client.get(form_url(chat), headers=owner.headers())).json()
    assert (default["enabled"], [f["key"] for f in default["fields"]], default["retention_months"]) == (
        False,
        ["name", "email"],
        24,
    )
    assert (await chat.client.get(chat.widget("/lead-form"), headers=chat.headers())).json() == {"form": None}
    problem(
        await chat.client.put(form_url(chat), json=FORM | {"privacy_url": None}, headers=owner.headers()),
        422,
        "invalid_lead_form",
    )
    saved = await chat.client.put(form_url(chat), json=FORM, headers=owner.headers())
    assert saved.status_code == 200, saved.text
    shown = (await chat.client.get(chat.widget("/lead-form"), headers=chat.headers())).json()["form"]
    assert (shown["trigger"], shown["privacy_url"], len(shown["fields"])) == (
        "after_messages",
        "https://shop.example.com/privacy",
        5,
    )

    session_id = await chat.new_session()
    bad = await chat.client.post(
        chat.widget("/leads"),
        headers=chat.headers(),
        json={"values": {"name": " ", "email": "ada@", "phone": "12345", "size": "huge"}, "consent": False},
    )
    body = problem(bad, 422, "invalid_lead")
    assert {e["field"] for e in body["errors"]} == {"name", "email", "phone", "size", "consent"}
    assert all(e["message"] and "regex" not in e["message"] for e in body["errors"])
    assert await sql(chat.app, "SELECT count(*) FROM leads") == [(0,)]

    good = await chat.client.post(
        chat.widget("/leads"),
        headers=chat.headers(),
        json={
            "values": {
                "name": "Ada Lovelace",
                "email": "Ada@Example.COM",
                "phone": "+44 20 7946 0958",
                "company": '=HYPERLINK("http://evil.example")',
                "size": "11-50",
            },
            "consent": True,
            "session_id": session_id,
        },
    )
    assert good.status_code == 201, good.text
    lead = good.json()
    assert lead["values"]["email"] == "Ada@example.com" and lead["values"]["phone"] == "+442079460958"
    assert (lead["conversation_id"], lead["consent_text"]) == (session_id, FORM["consent_text"])
    other_visitor = "visitor-fedcba9876543210"
    second = await chat.client.post(
        chat.widget("/leads"),
        headers=chat.headers(other_visitor),
        json={
            "values": {"name": "Grace Hopper", "email": "grace@example.com"},
            "consent": True,
            "session_id": session_id,
        },
    )  # not this visitor's conversation: kept without it
    assert second.status_code == 201 and second.json()["conversation_id"] is None

    await run_worker(chat.app)
    notices = mails_to(chat.app.outbox(), owner.email, "lead_created")
    assert len(notices) == 2 and any("Ada Lovelace" in m.text for m in notices)

    leads = (await chat.client.get("/api/v1/leads", headers=owner.headers())).json()["data"]
    assert [x["values"]["name"] for x in leads] == ["Grace Hopper", "Ada Lovelace"]  # newest first
    found = (await chat.client.get("/api/v1/leads?q=lovelace", headers=owner.headers())).json()["data"]
    assert [x["id"] for x in found] == [lead["id"]]
    assert (await chat.client.get("/api/v1/leads?agent_id=agt_nobody", headers=owner.headers())).json()["data"] == []

    export = await chat.client.get("/api/v1/leads/export?q=ada", headers=owner.headers())
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1
    assert rows[0]["company"] == '\'=HYPERLINK("http://evil.example")'  # a spreadsheet shows it as text
    assert (rows[0]["email"], rows[0]["conversation_id"], rows[0]["size"]) == ("Ada@example.com", session_id, "11-50")

    assert (await chat.client.delete(f"/api/v1/leads/{lead['id']}", headers=owner.headers())).status_code == 204
    problem(await chat.client.delete(f"/api/v1/leads/{lead['id']}", headers=owner.headers()), 404, "lead_not_found")
    assert [
        x["values"]["name"] for x in (await chat.client.get("/api/v1/leads", headers=owner.headers())).json()["data"]
    ] == ["Grace Hopper"]


async def test_a_disabled_form_refuses_leads_and_another_owner_sees_none(chat: ChatApp) -> None:
    problem(
        await chat.client.post(
            chat.widget("/leads"), headers=chat.headers(), json={"values": {"name": "Ada"}, "consent": True}
        ),
        404,
        "lead_form_not_found",
    )
    await chat.client.put(form_url(chat), json=FORM, headers=chat.owner.headers())
    await chat.client.post(
        chat.widget("/leads"),
        headers=chat.headers(),
        json={"values": {"name": "Ada", "email": "ada@example.com"}, "consent": True},
    )
    other = await sign_up_and_verify(chat.app, "bob@example.com")
    assert (await chat.client.get("/api/v1/leads", headers=other.headers())).json()["data"] == []
    problem(await chat.client.get(form_url(chat), headers=other.headers()), 404, "agent_not_found")
    assert (
        await chat.client.get(
            chat.widget("/lead-form"), headers={"origin": "https://evil.example", "x-visitor-id": VISITOR}
        )
    ).status_code == 403


async def test_the_visitor_sees_downloads_and_deletes_their_details_and_the_export_and_erasure_hold_them(
    chat: ChatApp,
) -> None:
    owner = chat.owner
    await chat.client.put(form_url(chat), json=FORM, headers=owner.headers())
    other_visitor = "visitor-fedcba9876543210"
    for visitor, name in ((VISITOR, "Ada"), (other_visitor, "Grace")):
        response = await chat.client.post(
            chat.widget("/leads"),
            headers=chat.headers(visitor),
            json={"values": {"name": name, "email": f"{name.lower()}@example.com"}, "consent": True},
        )
        assert response.status_code == 201
    mine = (await chat.client.get(chat.widget("/leads"), headers=chat.headers())).json()["data"]
    assert [x["values"]["name"] for x in mine] == ["Ada"]
    download = await chat.client.get(chat.widget("/leads/export"), headers=chat.headers())
    assert (
        "attachment" in download.headers["content-disposition"]
        and download.json()["data"][0]["values"]["name"] == "Ada"
    )
    assert (await chat.client.delete(chat.widget("/leads"), headers=chat.headers())).status_code == 204
    assert (await chat.client.get(chat.widget("/leads"), headers=chat.headers())).json()["data"] == []
    assert [
        x["values"]["name"] for x in (await chat.client.get("/api/v1/leads", headers=owner.headers())).json()["data"]
    ] == ["Grace"]

    # the owner's visitor tools cover leads too
    found = await chat.client.get(f"/api/v1/visitors/{other_visitor}/export", headers=owner.headers())
    assert found.status_code == 200, found.text
    assert "grace@example.com" in found.text
    assert (
        await chat.client.delete(f"/api/v1/visitors/{other_visitor}/conversations", headers=owner.headers())
    ).status_code in (200, 204)
    assert await sql(chat.app, "SELECT count(*) FROM leads") == [(0,)]


async def test_the_dashboard_leads_page_lists_filters_and_links_the_export(chat: ChatApp) -> None:
    await chat.client.put(form_url(chat), json=FORM, headers=chat.owner.headers())
    for name in ("Ada", "Grace"):
        await chat.client.post(
            chat.widget("/leads"),
            headers=chat.headers(),
            json={"values": {"name": name, "email": f"{name.lower()}@example.com"}, "consent": True},
        )
    page = await chat.client.get("/dashboard/leads", headers=chat.owner.headers())
    assert page.status_code == 200 and "ada@example.com" in page.text and "grace@example.com" in page.text
    filtered = (await chat.client.get("/dashboard/leads?q=grace", headers=chat.owner.headers())).text
    assert "grace@example.com" in filtered and "ada@example.com" not in filtered
    assert 'href="/api/v1/leads/export?q=grace"' in filtered


async def test_the_lead_form_editor_page_shows_the_saved_form_in_eight_rows(chat: ChatApp) -> None:
    await chat.client.put(form_url(chat), json=FORM, headers=chat.owner.headers())
    page = await chat.client.get(f"/dashboard/leads/form/{chat.agent['id']}", headers=chat.owner.headers())
    assert page.status_code == 200
    assert page.text.count("data-row") == 8 and 'value="Team size"' in page.text and "11-50" in page.text
    assert 'value="https://shop.example.com/privacy"' in page.text and "/leads.js" in page.text
    other = await sign_up_and_verify(chat.app, "bob@example.com")
    assert (
        await chat.client.get(f"/dashboard/leads/form/{chat.agent['id']}", headers=other.headers())
    ).status_code == 404
