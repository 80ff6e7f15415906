"""End to end on Postgres, with the real worker, the real OpenAI and Stripe SDKs against the
fake servers: an owner with data in every corner (embedded documents, widget conversations,
request log, an export, a Stripe customer and subscription) erases the account. After the
grace period the worker's purge leaves nothing of them in any column of any table (read from
the catalog), in the blob store or in the outbox folder, but the billing records, detached.
Stripe: the subscription is cancelled at request time, the customer deleted at the purge, and
an outage is retried by a job without holding the purge back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from dependency_injector import providers
from psycopg import errors as pg_errors

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container, start, stop
from aioomi.domain.model.billing import BillingAccount, BillingRecord, RecordKind, SubscriptionStatus, account_ref
from aioomi.domain.model.ids import new_id
from aioomi.entrypoints.worker.jobs import build_worker
from tests.fakes.openai_fixtures import ServedFakeOpenAI
from tests.fakes.stripe_fixtures import ServedFakeStripe, _served_fake_stripe, fake_stripe  # noqa: F401 - fixtures
from tests.fakes.stripe_server import FakeStripe
from tests.integration.accounts_support import (
    PASSWORD,
    App,
    build_container,
    last_mail_to,
    problem,
    serve,
    sign_up_and_verify,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORIGIN = "https://zebulon.example.com"
VISITOR = "visitor-zebulon-0000000000001"
NAME = "Zebulon Quartermaine"
CUSTOMER, SUBSCRIPTION = "cus_zebulon0001", "sub_zebulon0001"


async def _scan(conninfo: str, needles: list[str]) -> list[tuple[str, str, str, int]]:
    """Every column of every table of the schema (from the catalog, cast to text), searched for
    each needle: (table, column, needle, rows)."""
    found = []
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        tables = {
            r[0]
            for r in await (
                await conn.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                )
            ).fetchall()
        }
        columns = await (
            await conn.execute(
                "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                "AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2"
            )
        ).fetchall()
        assert {t for t, _ in columns} == tables  # every table is scanned
        assert {
            "accounts",
            "chat_messages",
            "api_request_log",
            "jobs",
            "knowledge_chunks",
            "billing_records",
            "data_exports",
        } <= tables
        for table, column in columns:
            for needle in needles:
                row = await (
                    await conn.execute(
                        f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', (f"%{needle}%",)
                    )
                ).fetchone()
                if row and row[0]:
                    found.append((table, column, needle, int(row[0])))
    return found


def _files_naming(folder: Path, needles: list[str]) -> list[str]:
    """Files under ``folder`` whose path or content holds a needle."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []:
        data = path.read_bytes()
        hits += [f"{path.relative_to(folder)}: {n}" for n in needles if n in str(path) or n.encode() in data]
    return hits


@asynccontextmanager
async def worker_container(app: App, clock: ManualClock) -> AsyncIterator[Container]:
    """A container of the worker's own, as the worker process has in production (the SDKs'
    connections belong to the event loop that opened them; the app's run on the client's)."""
    container = build_container("postgres", app.settings, app.conninfo)
    container.clock.override(providers.Object(clock))
    await start(container)
    try:
        yield container
    finally:
        await stop(container)


async def run_worker(app: App, clock: ManualClock) -> None:
    async with worker_container(app, clock) as container:
        await build_worker(container).run_until_idle()


async def _count(conninfo: str, query: str, *params: object) -> int:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        row = await (await conn.execute(query, params)).fetchone()
    assert row is not None
    return int(row[0])


async def test_after_the_purge_nothing_of_the_account_is_left_but_its_billing_records(
    pg_conninfo: str, tmp_path: Path, fake_openai: ServedFakeOpenAI, fake_stripe: ServedFakeStripe
) -> None:
    clock = ManualClock(START)
    stripe = fake_stripe.fake
    fake_openai.fake.script_chat(reply="We open at nine [1].")
    stripe.customers[CUSTOMER] = {"id": CUSTOMER, "object": "customer", "email": "erase.me@example.com"}
    stripe.put_subscription(SUBSCRIPTION, customer=CUSTOMER, prices=["price_pro"])
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        openai_api_key="sk-test",
        openai_base_url=fake_openai.base_url,
        stripe_secret_key=fake_stripe.secret_key,
        stripe_api_base=fake_stripe.base_url,
        configure=lambda c: c.clock.override(providers.Object(clock)),
    ) as app:
        try:
            await _erase_end_to_end(app, clock, pg_conninfo, fake_openai, stripe)
        finally:
            # the SDK clients were opened on the test client's loop: close them there
            app.client.blocking_portal.call(app.container.embedders().aclose)
            app.client.blocking_portal.call(app.container.chat_model().aclose)


async def _erase_end_to_end(
    app: App, clock: ManualClock, pg_conninfo: str, fake_openai: ServedFakeOpenAI, stripe: FakeStripe
) -> None:
    owner = await sign_up_and_verify(app, "erase.me@example.com", full_name=NAME)
    keeper = await sign_up_and_verify(app, "keep.me@example.com", full_name="Kept Person")
    headers = owner.headers()
    agent = (
        await app.client.post("/api/v1/agents", json={"name": "Helper", "allowed_origins": [ORIGIN]}, headers=headers)
    ).json()
    uploaded = await app.client.post(
        f"/api/v1/agents/{agent['id']}/documents",
        json={"text": f"# Hours\n\nOpen nine to five, {NAME}.", "title": "Hours"},
        headers=headers,
    )
    assert uploaded.status_code == 202, uploaded.text
    assert (
        await app.client.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]}, headers=headers)
    ).status_code == 201

    # The real worker embeds the document through the fake OpenAI server: chunks exist.
    await run_worker(app, clock)
    assert fake_openai.fake.calls("/v1/embeddings") != []
    chunks = "SELECT count(*) FROM knowledge_chunks WHERE account_id = %s"
    assert await _count(pg_conninfo, chunks, owner.account_id) > 0
    assert (
        await _count(pg_conninfo, "SELECT count(*) FROM knowledge_postings WHERE account_id = %s", owner.account_id) > 0
    )

    # A visitor talks to the agent through the widget.
    widget = {"origin": ORIGIN, "x-visitor-id": VISITOR}
    session = await app.client.post(f"/api/v1/widget/{agent['public_key']}/sessions", headers=widget)
    assert session.status_code == 201, session.text
    answer = await app.client.post(
        f"/api/v1/widget/{agent['public_key']}/sessions/{session.json()['id']}/messages",
        headers=widget,
        json={"content": "When do you open?"},
    )
    assert answer.status_code == 200, answer.text
    assert await _count(pg_conninfo, "SELECT count(*) FROM chat_messages WHERE account_id = %s", owner.account_id) == 2

    # Billing: a Stripe customer and subscription, and a record kept 7 years.
    async with app.container.uow()(account_id=owner.account_id) as uow:
        await uow.billing.save_account(
            BillingAccount(
                account_id=owner.account_id,
                customer_id=CUSTOMER,
                subscription_id=SUBSCRIPTION,
                plan_id="pro",
                status=SubscriptionStatus.ACTIVE,
                updated_at=clock.now(),
            )
        )
        await uow.billing.save_record(
            BillingRecord(
                id=new_id("brec"),
                kind=RecordKind.INVOICE,
                stripe_id="in_zebulon",
                account_id=owner.account_id,
                account_ref=account_ref(owner.account_id),
                stripe_customer_id=CUSTOMER,
                stripe_invoice_id="in_zebulon",
                stripe_subscription_id=SUBSCRIPTION,
                amount_minor=1900,
                currency="eur",
                status="paid",
                period_start=None,
                period_end=None,
                occurred_at=clock.now(),
                status_at=clock.now(),
                created_at=clock.now(),
            )
        )
        await uow.commit()

    # Access and portability: the worker builds the archive under the account's folder.
    export = await app.client.post("/api/v1/account/export", headers=headers)
    assert export.status_code == 202, export.text
    await run_worker(app, clock)
    assert _files_naming(Path(app.settings.blobs_dir), [owner.account_id]) != []
    await app.client.app.state.request_log_writer.flush()
    assert await _count(pg_conninfo, "SELECT count(*) FROM api_request_log WHERE account_id = %s", owner.account_id) > 0

    # Erasure: re-authentication, then everything stops at once and Stripe's subscription ends.
    problem(
        await app.client.request("DELETE", "/api/v1/account", json={"password": "not the password"}, headers=headers),
        403,
        "reauthentication_required",
    )
    assert stripe.received(f"/v1/subscriptions/{SUBSCRIPTION}") == []
    erased = await app.client.request("DELETE", "/api/v1/account", json={"password": PASSWORD}, headers=headers)
    assert erased.status_code == 202, erased.text
    assert [r.method for r in stripe.received(f"/v1/subscriptions/{SUBSCRIPTION}")] == ["DELETE"]
    assert stripe.subscriptions[SUBSCRIPTION]["status"] == "canceled"
    assert CUSTOMER in stripe.customers  # the customer goes at the purge, not before
    problem(await app.client.get("/api/v1/account", headers=headers), 401)
    assert last_mail_to(app.outbox(), owner.email, "deletion_scheduled")
    await app.client.app.state.request_log_writer.flush()

    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    await run_worker(app, clock)
    assert await _count(pg_conninfo, chunks, owner.account_id) > 0  # not before the grace

    # The purge runs while Stripe is down: personal data goes anyway, a job retries Stripe.
    stripe.failures.extend([503] * 100)
    clock.advance(timedelta(seconds=1))
    async with worker_container(app, clock) as worker:
        assert await worker.purge_deleted_accounts()() == 1
    needles = [owner.account_id, owner.email, NAME, VISITOR, agent["id"], agent["public_key"], uploaded.json()["id"]]
    leftovers = await _scan(pg_conninfo, needles)
    assert leftovers == [], leftovers
    assert CUSTOMER in stripe.customers
    retry = "SELECT count(*) FROM jobs WHERE kind = 'privacy.delete_stripe_customer' AND status = %s AND attempts = %s"
    assert await _count(pg_conninfo, retry, "queued", 0) == 1
    # The SDK's own tries of one call, all refused: the job's first start meets as many.
    tries = len(stripe.received(f"/v1/subscriptions/{SUBSCRIPTION}")) - 1
    assert tries >= 1 and stripe.received(f"/v1/customers/{CUSTOMER}") == []
    stripe.failures[:] = [503] * tries
    await run_worker(app, clock)  # the first start fails: the job waits its backoff
    assert stripe.failures == [] and CUSTOMER in stripe.customers
    assert await _count(pg_conninfo, retry, "queued", 1) == 1
    # The backoff runs on the database's clock (not the test's): let it pass there.
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        await conn.execute(
            "UPDATE jobs SET run_at = now() WHERE kind = 'privacy.delete_stripe_customer' AND status = 'queued'"
        )
    await run_worker(app, clock)  # the retry deletes the customer
    assert CUSTOMER not in stripe.customers
    assert [r.method for r in stripe.received(f"/v1/customers/{CUSTOMER}")][-1] == "DELETE"
    assert await _count(pg_conninfo, retry, "done", 2) == 1

    # Files: nothing under the account's folder or naming it; e-mails: only the last one.
    assert _files_naming(Path(app.settings.blobs_dir), needles) == []
    assert [(m.to, m.kind) for m in app.outbox() if m.to == owner.email] == [(owner.email, "account_deleted")]
    clock.advance(timedelta(days=7, seconds=1))  # the outbox keeps e-mails 7 days
    await run_worker(app, clock)
    assert _files_naming(Path(app.settings.outbox_dir), needles) == []

    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        row = await (
            await conn.execute("SELECT account_id, account_ref FROM billing_records WHERE stripe_id = 'in_zebulon'")
        ).fetchone()
    assert row == (None, account_ref(owner.account_id))  # kept 7 years, detached
    assert await _scan(pg_conninfo, [keeper.account_id]) != []  # the other account is untouched
    assert await _scan(pg_conninfo, [owner.account_id, owner.email, NAME, VISITOR]) == []


async def test_the_database_refuses_a_purge_later_than_30_days_after_the_request(pg_conninfo: str) -> None:
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO accounts (id, email, full_name, password_hash, email_verified_at, adult_attested_at, "
            "accepted_policy_version, status, created_at, updated_at) VALUES ('acct_grace', 'g@example.com', "
            "'G', 'h', now(), now(), '2026-02-15', 'deletion_pending', now(), now())"
        )
        insert = (
            "INSERT INTO account_privacy (account_id, deletion_requested_at, purge_after) "
            "VALUES ('acct_grace', TIMESTAMPTZ '2026-03-01 00:00+00', %s)"
        )
        with pytest.raises(pg_errors.CheckViolation):
            await conn.execute(insert, (datetime(2026, 3, 31, 0, 0, 1, tzinfo=UTC),))  # 30 days and 1 second
        await conn.execute(insert, (datetime(2026, 3, 31, tzinfo=UTC),))  # exactly 30 days
        with pytest.raises(pg_errors.CheckViolation):
            await conn.execute(
                "UPDATE account_privacy SET purge_after = purge_after + interval '1 day' "
                "WHERE account_id = 'acct_grace'"
            )
