"""The worker's billing jobs on Postgres with the fake Stripe server: payment failure, grace
and downgrade (with e-mails), metered usage to the billing meter (retries never bill twice),
reconciliation, billing records kept past erasure and swept after 7 years; usage over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import BillingRecord, RecordKind, account_ref
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.usage import QuotaExceeded, UsageEntry, UsageKind
from tests.fakes.stripe_fixtures import ServedFakeStripe, _served_fake_stripe, fake_stripe, stripe_event  # noqa: F401 - fixtures
from tests.integration.accounts_support import mails_to, problem, sign_up_and_verify
from tests.integration.billing_support import billing_app, deliver, rows, run_jobs
from tests.integration.test_billing_http import subscribe


def usage(account_id: str, tokens: int, *, agent_id: str = "agt_a", at: datetime | None = None) -> UsageEntry:
    return UsageEntry(
        id=new_id("use"),
        account_id=account_id,
        agent_id=agent_id,
        model="gpt-4o",
        kind=UsageKind.CHAT,
        prompt_tokens=tokens,
        completion_tokens=0,
        occurred_at=at or datetime.now(UTC),
    )


def principal_of(owner) -> Principal:
    return Principal.own(account_id=owner.account_id, session_id=owner.session_id, csrf_token=owner.csrf)


def invoice(customer_id: str, invoice_id: str = "in_1", **more: object) -> dict:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer_id,
        "subscription": "sub_1",
        "currency": "usd",
        "amount_due": 4900,
        "amount_paid": 0,
        "created": int(time.time()) - 5,
    } | more


async def test_a_failed_payment_starts_a_grace_period_then_downgrades_with_an_email_at_each_step(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    clock = ManualClock(datetime.now(UTC))
    async with billing_app(
        "postgres",
        tmp_path / "a",
        pg_conninfo,
        fake_stripe,
        configure=lambda c: c.clock.override(providers.Object(clock)),
    ) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        customer_id = await subscribe(app, fake_stripe, owner)
        failed = stripe_event("invoice.payment_failed", invoice(customer_id))
        await deliver(app, failed)
        await deliver(app, stripe_event("invoice.payment_failed", invoice(customer_id)))  # Stripe's next retry
        await run_jobs(app)
        assert len(mails_to(app.outbox(), owner.email, "billing_payment_failed")) == 1
        overview = (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()
        assert overview["plan"]["id"] == "pro" and overview["grace_ends_at"] is not None  # still in grace

        await app.container.downgrade_after_grace()()
        assert (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()["plan"]["id"] == "pro"
        clock.advance(timedelta(days=8))
        assert await app.container.downgrade_after_grace()() == 1
        assert await app.container.downgrade_after_grace()() == 0
        await run_jobs(app)
        assert len(mails_to(app.outbox(), owner.email, "billing_downgraded")) == 1
        overview = await app.container.get_billing_overview()(principal_of(owner))
        assert overview.plan.id == "free" and overview.billing.downgraded_at is not None

        # The owner pays: the plan comes back, and they hear about it.
        await deliver(app, stripe_event("invoice.paid", invoice(customer_id, amount_paid=4900)))
        await run_jobs(app)
        assert len(mails_to(app.outbox(), owner.email, "billing_payment_recovered")) == 1
        assert (await app.container.get_billing_overview()(principal_of(owner))).plan.id == "pro"
        records = await rows(app, "SELECT kind, status FROM billing_records ORDER BY kind, status")
        assert records == [
            {"kind": "invoice", "status": "paid"},
            {"kind": "payment", "status": "failed"},
            {"kind": "payment", "status": "failed"},
            {"kind": "payment", "status": "succeeded"},
        ]
        # An old failure delivered late changes nothing: the invoice stays paid, no new grace.
        await deliver(
            app, stripe_event("invoice.payment_failed", invoice(customer_id), created=int(time.time()) - 3600)
        )
        await run_jobs(app)
        assert (await rows(app, "SELECT status FROM billing_records WHERE kind = 'invoice'")) == [{"status": "paid"}]
        assert (await rows(app, "SELECT payment_failed_at FROM billing_accounts")) == [{"payment_failed_at": None}]


async def test_overage_goes_to_the_meter_once_even_when_a_send_fails_and_is_retried(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        customer_id = await subscribe(app, fake_stripe, owner)
        record = app.container.record_usage()
        await record(usage(owner.account_id, 4000))
        report = app.container.report_metered_usage()
        assert (await report()).recorded == 0  # within the 5000-token allowance
        await record(usage(owner.account_id, 1500))
        await record(usage(owner.account_id, 700, agent_id="agt_b"))
        # Stripe fails (after the SDK's own retries): the increment stays recorded, unsent.
        fake_stripe.fake.failures.extend([400])
        try:
            await report()
        except Exception as error:
            assert getattr(error, "code", "") == "payment_provider_refused"
        else:
            raise AssertionError("the failed send must fail the job")
        assert fake_stripe.fake.meter_total(customer_id) == 0
        unsent = await rows(app, "SELECT value FROM meter_events WHERE sent_at IS NULL")
        assert unsent == [{"value": 1200}]
        # Sent but not marked (a crash right after Stripe answered): resent with the same identifier.
        result = await report()
        assert result.sent == 1
        await app.client.get("/healthz")
        await psycopg_reset_sent(app)
        assert (await report()).sent == 1
        assert fake_stripe.fake.meter_total(customer_id) == 1200
        events = fake_stripe.fake.received("/v1/billing/meter_events")
        assert {e.params["event_name"] for e in events} == {"aioomi_tokens"}
        assert len({e.params["identifier"] for e in events}) == 1
        assert all(e.idempotency_key == e.params["identifier"] for e in events)
        # More usage: only the increment is reported.
        await record(usage(owner.account_id, 300))
        assert (await report()).recorded == 1
        assert fake_stripe.fake.meter_total(customer_id) == 1500
        summary = await app.container.reconcile_metered_usage()()
        assert summary["accounts_checked"] == 1 and summary["differences"] == []
        # A gap (usage the meter never heard of) is found and stored.
        await psycopg_delete_meter_events(app)
        summary = await app.container.reconcile_metered_usage()()
        assert summary["differences"][0]["difference"] == 1500
        assert summary["differences"][0]["account_ref"] == account_ref(owner.account_id)
        runs = await rows(app, "SELECT kind, summary FROM billing_runs WHERE kind = 'reconciliation' ORDER BY ran_at")
        assert runs[-1]["summary"]["differences"][0]["ledger_overage"] == 1500
        assert all(r["summary"]["differences"] == [] for r in runs[:-1])


async def psycopg_reset_sent(app) -> None:
    async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
        await conn.execute("UPDATE meter_events SET sent_at = NULL")


async def psycopg_delete_meter_events(app) -> None:
    async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
        await conn.execute("DELETE FROM meter_events")


async def test_billing_records_outlive_the_account_detached_and_are_swept_after_seven_years(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        bob = await sign_up_and_verify(app, "bob@example.com")
        now = datetime.now(UTC)

        def a_record(account_id: str, occurred_at: datetime) -> BillingRecord:
            return BillingRecord(
                id=new_id("bill"),
                kind=RecordKind.INVOICE,
                stripe_id=new_id("in"),
                account_id=account_id,
                account_ref=account_ref(account_id),
                stripe_customer_id="cus_1",
                stripe_invoice_id=None,
                stripe_subscription_id=None,
                amount_minor=4900,
                currency="usd",
                status="paid",
                period_start=None,
                period_end=None,
                occurred_at=occurred_at,
                status_at=occurred_at,
                created_at=now,
            )

        async with app.container.uow()(account_id=None) as uow:
            await uow.billing.save_record(a_record(owner.account_id, now - timedelta(days=30)))
            await uow.billing.save_record(a_record(owner.account_id, now - timedelta(days=7 * 366)))
            await uow.billing.save_record(a_record(bob.account_id, now - timedelta(days=7 * 365 - 10)))
            await uow.commit()
        # Erasure deletes the workspace the person alone owns (billing is the workspace's) and the
        # account row: its records stay, detached, under the pseudonymous ref.
        async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
            await conn.execute("DELETE FROM workspaces WHERE id = %s", (owner.account_id,))
            await conn.execute("DELETE FROM accounts WHERE id = %s", (owner.account_id,))
        detached = await rows(
            app,
            "SELECT account_id, account_ref FROM billing_records WHERE account_ref = %s",
            account_ref(owner.account_id),
        )
        assert detached == [{"account_id": None, "account_ref": account_ref(owner.account_id)}] * 2
        async with app.container.uow()(account_id=bob.account_id) as uow:  # no tenant sees detached rows
            assert await uow.billing.get_record("invoice", "x") is None
            assert len(await uow.billing.list_records(bob.account_id, 10)) == 1
        summary = await app.container.purge_expired_billing_records()()
        assert summary["records_removed"] == 1
        left = await rows(app, "SELECT account_id FROM billing_records ORDER BY occurred_at")
        assert left == [{"account_id": bob.account_id}, {"account_id": None}]
        runs = await rows(app, "SELECT summary FROM billing_runs WHERE kind = 'record_sweep'")
        assert runs[0]["summary"]["records_removed"] == 1


async def test_quota_and_agent_caps_from_local_state_and_the_usage_report(pg_conninfo: str, tmp_path: Path) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, None) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        allowance = app.container.usage_allowance()
        record = app.container.record_usage()
        day = datetime.now(UTC)
        for _ in range(2):
            await record(usage(owner.account_id, 100, at=day))
        await allowance.check(owner.account_id, "agt_a")
        await record(usage(owner.account_id, 100, agent_id="agt_b", at=day))  # third message: free allows 3
        try:
            await allowance.check(owner.account_id, "agt_a")
        except QuotaExceeded as error:
            assert error.code == "quota_exceeded" and "Please" in error.detail
        else:
            raise AssertionError("the free plan allows 3 messages")
        overview = (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()
        assert overview["messages"] == {"used": 3, "allowance": 3} and overview["tokens"]["used"] == 300
        report = await app.client.get(f"/api/v1/usage?from={day.date()}&to={day.date()}", headers=owner.headers())
        assert report.status_code == 200, report.text
        body = report.json()
        assert [(r["agent_id"], r["calls"], r["total_tokens"]) for r in body["data"]] == [
            ("agt_a", 2, 200),
            ("agt_b", 1, 100),
        ]
        assert body["data"][0]["day"] == day.date().isoformat()
        problem(
            await app.client.get("/api/v1/usage?from=2026-03-02&to=2026-03-01", headers=owner.headers()),
            422,
            "invalid_range",
        )
        problem(
            await app.client.put(
                "/api/v1/billing/agents/agt_nope/token-cap", json={"monthly_tokens": 5}, headers=owner.headers()
            ),
            404,
            "agent_not_found",
        )
        async with app.another_client() as stranger:
            problem(await stranger.get("/api/v1/usage"), 401)
