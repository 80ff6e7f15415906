"""End to end on Postgres: an owner with data in every corner erases the account; after the
grace period the worker's purge leaves nothing of them in any table or file but the billing
records, detached."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.billing import BillingRecord, RecordKind, account_ref
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.request_log import RequestLogEntry
from tests.integration.accounts_support import (
    PASSWORD,
    last_mail_to,
    problem,
    serve,
    sign_up_and_verify,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _scan(conninfo: str, needles: list[str]) -> list[tuple[str, str, int]]:
    """Every text-like column of every table, searched for each needle."""
    found = []
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        columns = await (await conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'jsonb', 'json', 'character varying', 'ARRAY') ORDER BY 1, 2"
        )).fetchall()
        tables = {t for t, _ in columns}
        assert {"accounts", "chat_messages", "api_request_log", "jobs", "billing_records", "data_exports"} <= tables
        for table, column in columns:
            for needle in needles:
                row = await (await conn.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', (f"%{needle}%",)  # noqa: S608
                )).fetchone()
                if row and row[0]:
                    found.append((table, column, int(row[0])))
    return found


async def test_after_the_purge_nothing_of_the_account_is_left_but_its_billing_records(
    pg_conninfo: str, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo,
                     configure=lambda c: c.clock.override(providers.Object(clock))) as app:
        owner = await sign_up_and_verify(app, "erase.me@example.com", full_name="Zebulon Quartermaine")
        keeper = await sign_up_and_verify(app, "keep.me@example.com", full_name="Kept Person")
        headers = owner.headers()
        agent = (await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=headers)).json()
        response = await app.client.post(f"/api/v1/agents/{agent['id']}/documents",
                                         json={"text": "# Hours\n\nOpen nine to five, Zebulon Quartermaine.",
                                               "title": "Hours"}, headers=headers)
        assert response.status_code == 202, response.text
        assert (await app.client.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]},
                                      headers=headers)).status_code == 201
        container = app.container
        async with container.uow()(account_id=owner.account_id) as uow:
            await uow.chat_sessions.add(ChatSession(id=new_id("ses"), account_id=owner.account_id,
                                                    agent_id=agent["id"], visitor_id="visitor_0123456789abcdef",
                                                    created_at=clock.now(), ip="198.51.100.7"))
            await uow.billing.save_record(BillingRecord(
                id=new_id("brec"), kind=RecordKind.INVOICE, stripe_id="in_123", account_id=owner.account_id,
                account_ref=account_ref(owner.account_id), stripe_customer_id="cus_1", stripe_invoice_id="in_123",
                stripe_subscription_id=None, amount_minor=1900, currency="eur", status="paid", period_start=None,
                period_end=None, occurred_at=clock.now(), status_at=clock.now(), created_at=clock.now()))
            await uow.commit()
        await container.request_log().add_many([RequestLogEntry(
            occurred_at=clock.now(), method="GET", route="/api/v1/agents", status=200, latency_ms=2.0,
            account_id=owner.account_id, ip="198.51.100.7")])

        # Access and portability: an archive with a manifest, through a short-lived link.
        export = (await app.client.post("/api/v1/account/export", headers=headers)).json()
        await container.build_export()(owner.account_id, export["id"])
        link = await app.client.post(f"/api/v1/account/exports/{export['id']}/link", headers=headers)
        assert link.status_code == 201, link.text
        download = await app.client.get(link.json()["url"].split("127.0.0.1", 1)[1])
        assert download.status_code == 200, download.text
        archive = zipfile.ZipFile(io.BytesIO(download.content))
        assert "manifest.json" in archive.namelist() and "conversations.json" in archive.namelist()
        assert any(n.startswith("documents/") for n in archive.namelist())
        assert b"Zebulon Quartermaine" in archive.read("account.json")

        # Erasure: re-authentication, then everything stops at once.
        problem(await app.client.request("DELETE", "/api/v1/account", json={"password": "not the password"},
                                         headers=headers), 403, "reauthentication_required")
        erased = await app.client.request("DELETE", "/api/v1/account", json={"password": PASSWORD}, headers=headers)
        assert erased.status_code == 202, erased.text
        problem(await app.client.get("/api/v1/account", headers=headers), 401)
        assert last_mail_to(app.outbox(), owner.email, "deletion_scheduled")

        clock.advance(timedelta(days=6))
        assert await container.purge_deleted_accounts()() == 0
        clock.advance(timedelta(days=1))
        assert await container.purge_deleted_accounts()() == 1

        leftovers = await _scan(pg_conninfo, [owner.account_id, owner.email, "Zebulon Quartermaine"])
        assert leftovers == [], leftovers
        files = [p for p in Path(app.settings.blobs_dir).rglob("*") if p.is_file()]
        assert not [p for p in files if owner.account_id in str(p)], files
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
            row = await (await conn.execute(
                "SELECT account_id, account_ref FROM billing_records WHERE stripe_id = 'in_123'")).fetchone()
        assert row == (None, account_ref(owner.account_id))  # kept 7 years, detached
        assert await _scan(pg_conninfo, [keeper.account_id]) != []  # the other account is untouched
