"""The workspace lifecycle through the HTTP API on Postgres (issue 21): a person creates another
workspace (its own id), works in it like in any tenant (agent, upload, the real worker, the
widget), may own at most ``max_owned_workspaces``; an owner deletes a workspace (recent
password, its name typed), the worker's job purges it with the erasure purge's steps, and a
scan of every table finds nothing of it but its detached billing records while the person's
other workspace is untouched."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from aioomi.container import start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import BillingAccount, BillingRecord, RecordKind, SubscriptionStatus, account_ref
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.leads import Lead
from aioomi.entrypoints.worker.jobs import build_worker
from tests.fakes.stripe_fixtures import (  # noqa: F401 - fixtures
    ServedFakeStripe,
    _served_fake_stripe,
    fake_stripe,
    stripe_event,
)
from tests.integration.accounts_support import (  # noqa: F401 - pg_app is a fixture
    PASSWORD,
    App,
    Owner,
    bearer,
    build_container,
    pg_app,
    problem,
    serve,
    sign_up_and_verify,
)
from tests.integration.chat_support import read_sse
from tests.integration.test_privacy_erasure import _count, _files_naming, _scan

ORIGIN = "https://second.example.com"
VISITOR = "visitor-second-workspace-0001"
WORKSPACES = "/api/v1/workspaces"
DOC = "# Opening hours\n\nThe second shop opens at eight and closes at six, Monday to Saturday.\n"


async def create(app: App, who: Owner, name: str) -> dict[str, Any]:
    response = await app.client.post(WORKSPACES, json={"name": name}, headers=who.headers())
    assert response.status_code == 201, response.text
    return response.json()


async def switch(app: App, who: Owner, workspace_id: str) -> None:
    response = await app.client.post(
        f"{WORKSPACES}/current", json={"workspace_id": workspace_id}, headers=who.headers()
    )
    assert response.status_code == 200, response.text


async def mine(app: App, who: Owner) -> list[tuple[str, str, bool]]:
    listed = (await app.client.get(WORKSPACES, headers=who.headers())).json()["data"]
    return [(w["name"], w["role"], w["current"]) for w in listed]


async def run_worker(app: App) -> None:
    """The real worker, in a container of its own (as the worker process has in production)."""
    container = build_container("postgres", app.settings, app.conninfo)
    await start(container)
    try:
        await build_worker(container).run_until_idle()
    finally:
        await stop(container)


async def agent_with_document(app: App, who: Owner) -> tuple[dict[str, Any], str]:
    created = await app.client.post(
        "/api/v1/agents",
        headers=who.headers(),
        json={"name": "Second helper", "allowed_origins": [ORIGIN], "answer_mode": "grounded"},
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    uploaded = await app.client.post(
        f"/api/v1/agents/{agent['id']}/documents",
        headers=who.headers(),
        files={"file": ("hours.md", DOC.encode(), "text/markdown")},
    )
    assert uploaded.status_code in (201, 202), uploaded.text
    return agent, uploaded.json()["id"]


async def ask(app: App, agent: dict[str, Any], question: str) -> str:
    widget = {"origin": ORIGIN, "x-visitor-id": VISITOR}
    session = await app.client.post(f"/api/v1/widget/{agent['public_key']}/sessions", headers=widget)
    assert session.status_code == 201, session.text
    answer = await app.client.post(
        f"/api/v1/widget/{agent['public_key']}/sessions/{session.json()['id']}/messages",
        headers=widget,
        json={"content": question},
    )
    assert answer.status_code == 200, answer.text
    return "".join(data["text"] for name, data in read_sse(answer.text) if name == "token")


async def second_workspace_with_a_ready_document(app: App) -> tuple[Owner, dict[str, Any], dict[str, Any]]:
    """Ada creates a second workspace, switches to it, creates an agent and uploads a document
    that the real worker ingests there: Ada, the workspace, the agent."""
    ada = await sign_up_and_verify(app, "ada@example.com")
    second = await create(app, ada, "  Second   shop ")
    assert (second["name"], second["role"], second["current"]) == ("Second shop", "owner", False)
    assert second["id"].startswith("ws_") and second["id"] != ada.account_id  # a new id, no account's
    await switch(app, ada, second["id"])
    assert await mine(app, ada) == [("My workspace", "owner", False), ("Second shop", "owner", True)]
    agent, document_id = await agent_with_document(app, ada)
    await run_worker(app)  # the worker ingests the upload of the new workspace
    document = await app.client.get(f"/api/v1/agents/{agent['id']}/documents/{document_id}", headers=ada.headers())
    assert document.json()["status"] == "ready", document.text
    return ada, second, agent


async def test_a_second_workspace_has_a_plan_an_allowance_agents_and_ingestion(pg_app: App) -> None:
    app = pg_app
    ada, second, agent = await second_workspace_with_a_ready_document(app)
    chunks = "SELECT count(*) FROM knowledge_chunks WHERE account_id = %s"
    assert await _count(app.conninfo or "", chunks, second["id"]) > 0
    # The plan a new account starts on (here, with no Stripe: self-hosted) and its own
    # allowance, with no billing row until a checkout.
    usage = await app.client.get("/api/v1/billing/usage", headers=ada.headers())
    assert usage.status_code == 200, usage.text
    assert (usage.json()["plan"]["id"], usage.json()["messages"]["used"]) == ("self_hosted", 0)
    assert await app.count("billing_accounts") == 0
    # The person's own workspace sees none of it.
    await switch(app, ada, ada.account_id)
    own = (await app.client.get("/api/v1/billing/usage", headers=ada.headers())).json()
    assert own["plan"]["id"] == "self_hosted"
    assert (await app.client.get("/api/v1/agents", headers=ada.headers())).json()["data"] == []
    assert await _count(app.conninfo or "", chunks, ada.account_id) == 0


async def test_the_widget_of_a_second_workspace_answers(pg_app: App) -> None:
    """Fails today only because the widget reads the owner's status from `accounts WHERE id =
    <workspace id>`, which no account has for a workspace of its own id (wsstate replaces it)."""
    app = pg_app
    _, _, agent = await second_workspace_with_a_ready_document(app)
    assert "opens at eight" in await ask(app, agent, "When does the shop open?")


async def test_creating_a_workspace_is_capped_per_person_and_checked(pg_conninfo: str, tmp_path: Path) -> None:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo, max_owned_workspaces=3) as app:
        ada = await sign_up_and_verify(app, "ada@example.com")
        bob = await sign_up_and_verify(app, "bob@example.com")
        problem(
            await app.client.post(WORKSPACES, json={"name": "   "}, headers=ada.headers()),
            422,
            "invalid_workspace_name",
        )
        problem(
            await app.client.post(WORKSPACES, json={"name": "x" * 101}, headers=ada.headers()),
            422,
            "invalid_workspace_name",
        )
        problem(await app.client.post(WORKSPACES, json={"nom": "x"}, headers=ada.headers()), 422, "validation_failed")
        problem(
            await app.client.post(WORKSPACES, json={"name": "a\u0000b"}, headers=ada.headers()),
            422,
            "invalid_workspace_name",
        )
        # Ids of no workspace's shape never reach the store (a NUL would break the query).
        for method, path, body in (
            ("DELETE", f"{WORKSPACES}/a%00b", {"confirm_name": "x"}),
            ("POST", f"{WORKSPACES}/a%00b/export", None),
        ):
            problem(await app.client.request(method, path, json=body, headers=ada.headers()), 403, "not_a_member")
        key = await app.client.post(
            "/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]}, headers=ada.headers()
        )
        assert key.status_code == 201, key.text
        problem(
            await app.client.post(WORKSPACES, json={"name": "By key"}, headers=bearer(key.json()["secret"])),
            403,
            "session_required",
        )
        # 3 owned at most, her own one included: two more, then no more.
        await create(app, ada, "Two")
        await create(app, ada, "Three")
        body = problem(await app.client.post(WORKSPACES, json={"name": "Four"}, headers=ada.headers()), 409)
        assert body["code"] == "too_many_workspaces"
        assert [name for name, _, _ in await mine(app, ada)] == ["My workspace", "Two", "Three"]
        assert await app.count("workspaces") == 4  # hers three, Bob's one
        # Another person's cap is their own.
        await create(app, bob, "Bob two")
        events = (await app.client.get("/api/v1/workspace/audit", headers=bob.headers())).json()["data"]
        assert events == []  # the creation is in the new workspace's log, not in the one Bob acts in


CUSTOMER, SUBSCRIPTION = "cus_doomedshop01", "sub_doomedshop01"
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def save_billing(app: App, workspace_id: str) -> None:
    """A paying workspace: its Stripe customer and subscription, and an invoice kept 7 years."""
    async with app.container.uow()(account_id=workspace_id) as uow:
        await uow.billing.save_account(
            BillingAccount(
                account_id=workspace_id,
                customer_id=CUSTOMER,
                subscription_id=SUBSCRIPTION,
                plan_id="pro",
                status=SubscriptionStatus.ACTIVE,
                updated_at=AT,
            )
        )
        await uow.billing.save_record(
            BillingRecord(
                id=new_id("brec"),
                kind=RecordKind.INVOICE,
                stripe_id="in_doomedshop",
                account_id=workspace_id,
                account_ref=account_ref(workspace_id),
                stripe_customer_id=CUSTOMER,
                stripe_invoice_id="in_doomedshop",
                stripe_subscription_id=SUBSCRIPTION,
                amount_minor=1900,
                currency="eur",
                status="paid",
                period_start=None,
                period_end=None,
                occurred_at=AT,
                status_at=AT,
                created_at=AT,
            )
        )
        await uow.commit()


async def invite_and_join(app: App, by: Owner, who: Owner, role: str) -> None:
    from tests.integration.test_members_http import invite

    _, token = await invite(app, by, who.email, role)
    joined = await app.client.post("/api/v1/invitations/accept", json={"token": token}, headers=who.headers())
    assert joined.status_code == 200, joined.text


async def test_an_owner_deletes_a_workspace_and_the_purge_leaves_only_its_billing_records(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    stripe = fake_stripe.fake
    stripe.customers[CUSTOMER] = {"id": CUSTOMER, "object": "customer", "email": "ada@example.com"}
    stripe.put_subscription(SUBSCRIPTION, customer=CUSTOMER, prices=["price_pro"])
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        stripe_secret_key=fake_stripe.secret_key,
        stripe_api_base=fake_stripe.base_url,
    ) as app:
        ada = await sign_up_and_verify(app, "ada@example.com")
        bob = await sign_up_and_verify(app, "bob@example.com")
        cy = await sign_up_and_verify(app, "cy@example.com")
        kept_agent, kept_document = await agent_with_document(app, ada)  # in her own workspace
        doomed = await create(app, ada, "Doomed shop")
        ws = doomed["id"]
        await switch(app, ada, ws)
        agent, document_id = await agent_with_document(app, ada)
        key = await app.client.post(
            "/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]}, headers=ada.headers()
        )
        assert key.status_code == 201, key.text
        await save_billing(app, ws)
        await invite_and_join(app, ada, bob, "editor")
        await switch(app, bob, ws)
        # A workspace export: owners only; it is built into Ada's folder, and goes with the workspace.
        exporting = f"{WORKSPACES}/{ws}/export"
        problem(await app.client.post(exporting, headers=bob.headers()), 403, "forbidden_by_role")
        problem(await app.client.post(exporting, headers=cy.headers()), 403, "not_a_member")
        asked = await app.client.post(exporting, headers=ada.headers())
        assert asked.status_code == 202, asked.text
        await run_worker(app)  # both workspaces' documents are indexed, the export is built
        listed = (await app.client.get("/api/v1/account/exports", headers=ada.headers())).json()["data"]
        assert [(e["id"], e["status"], e["workspace_id"]) for e in listed] == [(asked.json()["id"], "ready", ws)]
        archive = Path(app.settings.blobs_dir) / ada.account_id / "exports" / f"{asked.json()['id']}.zip"
        assert archive.exists()
        chunks = "SELECT count(*) FROM knowledge_chunks WHERE account_id = %s"
        assert await _count(pg_conninfo, chunks, ws) > 0
        assert await _count(pg_conninfo, chunks, ada.account_id) > 0
        assert _files_naming(Path(app.settings.blobs_dir), [ws]) != []
        kept_before = await _scan(pg_conninfo, [kept_agent["id"], kept_document])
        kept_chunks = await _count(pg_conninfo, chunks, ada.account_id)

        url = f"{WORKSPACES}/{ws}"
        confirm = {"confirm_name": "Doomed shop"}
        problem(await app.client.request("DELETE", url, json=confirm, headers=bob.headers()), 403, "forbidden_by_role")
        problem(
            await app.client.request("DELETE", url, json=confirm, headers=bearer(key.json()["secret"])),
            403,
            "session_required",
        )
        problem(await app.client.request("DELETE", url, json=confirm, headers=cy.headers()), 403, "not_a_member")
        problem(
            await app.client.request("DELETE", url, json={"confirm_name": "Doomed"}, headers=ada.headers()),
            422,
            "workspace_name_mismatch",
        )
        problem(
            await app.client.request(
                "DELETE", f"{WORKSPACES}/{cy.account_id}", json={"confirm_name": "My workspace"}, headers=cy.headers()
            ),
            409,
            "last_workspace",
        )
        assert await app.count("workspaces") == 4  # nothing happened

        deleted = await app.client.request("DELETE", url, json=confirm, headers=ada.headers())
        assert deleted.status_code == 202, deleted.text
        # At once: nobody is a member; sessions that acted in it act in their own workspace.
        for who in (ada, bob):
            session = (await app.client.get("/api/v1/auth/session", headers=who.headers())).json()
            assert (session["workspace_id"], session["role"]) == (who.account_id, "owner")
        assert [name for name, _, _ in await mine(app, ada)] == ["My workspace"]
        problem(await app.client.get("/api/v1/agents", headers=bearer(key.json()["secret"])), 401)
        audit = (await app.client.get("/api/v1/account/audit-log", headers=ada.headers())).json()["data"]
        assert [(e["action"], e["detail"]) for e in audit[:1]] == [
            ("workspace_deleted", {"workspace_id": ws, "name": "Doomed shop"})
        ]

        await run_worker(app)  # the workspaces.purge job
        assert stripe.subscriptions[SUBSCRIPTION]["status"] == "canceled"
        assert CUSTOMER not in stripe.customers
        needles = [ws, agent["id"], agent["public_key"], document_id, CUSTOMER, "Doomed shop"]
        leftovers = {(table, column) for table, column, _, _ in await _scan(pg_conninfo, needles)}
        assert leftovers == {
            ("billing_records", "stripe_customer_id"),  # kept 7 years, detached (below)
            ("privacy_audit_log", "detail"),  # Ada's own record that she deleted it
            ("jobs", "payload"),  # the finished purge job, until the finished-jobs sweep
            ("jobs", "dedupe_key"),
        }, leftovers
        row = await _count(
            pg_conninfo,
            "SELECT count(*) FROM billing_records WHERE stripe_id = 'in_doomedshop' AND account_id IS NULL "
            "AND account_ref = %s",
            account_ref(ws),
        )
        assert row == 1
        assert _files_naming(Path(app.settings.blobs_dir), [ws, agent["id"]]) == []
        assert not archive.exists()  # the workspace's export went with it
        assert (await app.client.get("/api/v1/account/exports", headers=ada.headers())).json()["data"] == []
        # Her own workspace is untouched: its agent, document, chunks and files.
        assert await _scan(pg_conninfo, [kept_agent["id"], kept_document]) == kept_before
        assert await _count(pg_conninfo, chunks, ada.account_id) == kept_chunks
        assert _files_naming(Path(app.settings.blobs_dir), [kept_agent["id"]]) != []
        listed = (await app.client.get("/api/v1/agents", headers=ada.headers())).json()["data"]
        assert [a["id"] for a in listed] == [kept_agent["id"]]


async def test_a_second_workspace_buys_a_plan_and_its_owners_get_the_billing_notices(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    """Billing belongs to the workspace: the Stripe customer is the workspace (its id in the
    metadata, the buying owner's e-mail), Stripe's webhook finds the workspace by its id, and a
    payment notice goes to its owners."""
    from tests.integration.billing_support import billing_app, deliver, rows
    from tests.integration.billing_support import run_jobs as run_billing_jobs

    async with billing_app("postgres", tmp_path / "aioomi", pg_conninfo, fake_stripe) as app:
        ada = await sign_up_and_verify(app, "ada@example.com")
        second = await create(app, ada, "Second shop")
        await switch(app, ada, second["id"])
        bought = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=ada.headers())
        assert bought.status_code == 201, bought.text
        customer = fake_stripe.fake.received("/v1/customers")[-1]
        assert (customer.params["metadata"]["account_id"], customer.params["email"]) == (second["id"], ada.email)
        customer_id = next(iter(fake_stripe.fake.customers))
        fake_stripe.fake.put_subscription(
            "sub_second", customer=customer_id, prices=["price_pro", "price_pro_tokens"], account_id=second["id"]
        )
        body = stripe_event(
            "checkout.session.completed",
            {
                "id": "cs_second",
                "object": "checkout.session",
                "mode": "subscription",
                "client_reference_id": second["id"],
                "customer": customer_id,
                "subscription": "sub_second",
            },
        )
        assert (await deliver(app, body)).status_code == 200
        await run_billing_jobs(app)
        stored = await rows(app, "SELECT account_id, plan_id, status FROM billing_accounts")
        assert stored == [{"account_id": second["id"], "plan_id": "pro", "status": "active"}]
        usage = (await app.client.get("/api/v1/billing/usage", headers=ada.headers())).json()
        assert usage["plan"]["id"] == "pro"
        await switch(app, ada, ada.account_id)
        assert (await app.client.get("/api/v1/billing/usage", headers=ada.headers())).json()["plan"]["id"] == "free"

        assert await app.container.send_billing_notice()(second["id"], "billing_payment_failed", None)
        assert [m.kind for m in app.outbox() if m.to == ada.email][-1] == "billing_payment_failed"


async def test_a_second_workspaces_notices_go_to_its_owners(pg_app: App) -> None:
    """A new lead and a visitor waiting for a person are mailed to the workspace's owners (its id
    is no person's), not to the members of other roles."""
    app = pg_app
    ada = await sign_up_and_verify(app, "ada@example.com")
    bob = await sign_up_and_verify(app, "bob@example.com")
    second = await create(app, ada, "Second shop")
    await switch(app, ada, second["id"])
    await invite_and_join(app, ada, bob, "support")
    agent, _ = await agent_with_document(app, ada)
    ws = second["id"]
    async with app.container.uow()(account_id=ws) as uow:
        await uow.chat_sessions.add(
            ChatSession(
                id="ses_waiting",
                account_id=ws,
                agent_id=agent["id"],
                visitor_id=VISITOR,
                created_at=AT,
            )
        )
        await uow.leads.add_lead(
            Lead(
                id="lead_second",
                account_id=ws,
                agent_id=agent["id"],
                visitor_id=VISITOR,
                values={"email": "visitor@example.org"},
                consent_text="You may contact me.",
                privacy_url=None,
                created_at=AT,
            )
        )
        await uow.commit()
    async with await psycopg.AsyncConnection.connect(app.conninfo or "", autocommit=True) as conn:
        await conn.execute("UPDATE chat_sessions SET handoff_state = 'waiting' WHERE id = 'ses_waiting'")
    assert await app.container.notify_new_lead()(ws, "lead_second")
    assert await app.container.notify_owner_of_handoff()(ws, "ses_waiting") == "sent"
    sent = [(m.to, m.kind) for m in app.outbox() if m.kind in ("lead_created", "handoff_requested")]
    assert sent == [(ada.email, "lead_created"), (ada.email, "handoff_requested")]
    assert bob.email not in {to for to, _ in sent}


async def test_two_creations_at_once_never_pass_the_cap(pg_conninfo: str, tmp_path: Path) -> None:
    """The count and the insert hold the person's row: of two creations racing for the last
    place, one wins and the other is refused."""
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo, max_owned_workspaces=2) as app:
        ada = await sign_up_and_verify(app, "ada@example.com")
        who = Principal(account_id=ada.account_id, workspace_id=ada.account_id, session_id=ada.session_id)
        create_workspace = app.container.create_workspace()
        raced = await asyncio.gather(*(create_workspace(who, f"Shop {i}") for i in range(2)), return_exceptions=True)
        assert sorted(type(r).__name__ for r in raced) == ["TooManyWorkspaces", "Workspace"]
        assert await app.count("workspaces") == 2
