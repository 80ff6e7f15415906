"""Billing end to end on Postgres, with the official stripe SDK talking to the fake Stripe
server over HTTP and webhooks signed like Stripe signs them."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path

from aioomi.domain.model.billing import PROCESS_EVENT_JOB
from aioomi.entrypoints.worker.jobs import handlers
from tests.fakes.stripe_fixtures import ServedFakeStripe, _served_fake_stripe, fake_stripe, sign, stripe_event  # noqa: F401 - fixtures
from tests.integration.accounts_support import problem, sign_up_and_verify
from tests.integration.billing_support import billing_app, deliver, rows, run_jobs


async def subscribe(
    app,
    fake: ServedFakeStripe,
    owner,
    *,
    plan_prices=("price_pro", "price_pro_tokens"),
    sub_id: str = "sub_1",
    created: int | None = None,
) -> str:
    """Checkout, then Stripe's checkout.session.completed webhook, processed by the worker."""
    response = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=owner.headers())
    assert response.status_code == 201, response.text
    customer = fake.fake.received("/v1/customers")[-1]
    customer_id = next(iter(fake.fake.customers))
    assert customer.params["metadata"]["account_id"] == owner.account_id
    fake.fake.put_subscription(sub_id, customer=customer_id, prices=list(plan_prices), account_id=owner.account_id)
    body = stripe_event(
        "checkout.session.completed",
        {
            "id": "cs_test_1",
            "object": "checkout.session",
            "mode": "subscription",
            "client_reference_id": owner.account_id,
            "customer": customer_id,
            "subscription": sub_id,
        },
        created=created,
    )
    assert (await deliver(app, body)).status_code == 200
    await run_jobs(app)
    return customer_id


async def test_plans_are_listed_and_checkout_says_billing_is_off_without_a_key(
    pg_conninfo: str, tmp_path: Path
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, None) as app:
        plans = (await app.client.get("/api/v1/billing/plans")).json()
        assert [p["id"] for p in plans["data"]] == ["free", "pro", "business"]
        assert plans["billing_enabled"] is False
        assert plans["data"][1]["purchasable"] and plans["data"][1]["bills_overage"]
        owner = await sign_up_and_verify(app, "ada@example.com")
        response = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=owner.headers())
        problem(response, 404, "billing_disabled")
        usage = (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()
        assert usage["plan"]["id"] == "free" and usage["messages"] == {"used": 0, "allowance": 3}
        problem(await deliver(app, b"{}"), 404, "billing_disabled")


async def test_checkout_creates_one_customer_reuses_it_and_honours_idempotency_keys(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        headers = owner.headers() | {"Idempotency-Key": "try-1"}
        first = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=headers)
        again = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=headers)
        other = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "business"}, headers=owner.headers())
        assert first.status_code == again.status_code == other.status_code == 201, first.text
        assert first.json()["url"] == again.json()["url"] != other.json()["url"]
        assert first.json()["url"].startswith("https://checkout.stripe.com/")
        assert len(fake_stripe.fake.customers) == 1
        assert len(fake_stripe.fake.sessions) == 2
        session = next(iter(fake_stripe.fake.sessions.values()))
        customer_id = next(iter(fake_stripe.fake.customers))
        assert session["client_reference_id"] == owner.account_id and session["customer"] == customer_id
        assert session["mode"] == "subscription"
        assert session["line_items"] == [{"price": "price_pro", "quantity": "1"}, {"price": "price_pro_tokens"}]
        stored = await rows(app, "SELECT customer_id FROM billing_accounts WHERE account_id = %s", owner.account_id)
        assert stored == [{"customer_id": customer_id}]
        portal = await app.client.post("/api/v1/billing/portal", headers=owner.headers())
        assert portal.status_code == 201 and portal.json()["url"].startswith("https://billing.stripe.com/")
        problem(
            await app.client.post("/api/v1/billing/checkout", json={"plan_id": "gold"}, headers=owner.headers()),
            404,
            "plan_not_found",
        )
        problem(
            await app.client.post("/api/v1/billing/checkout", json={"plan_id": "free"}, headers=owner.headers()),
            422,
            "plan_not_purchasable",
        )
        bob = await sign_up_and_verify(app, "bob@example.com")
        problem(await app.client.post("/api/v1/billing/portal", headers=bob.headers()), 409, "no_billing_customer")
        # No card data anywhere: only Stripe ids are stored.
        assert not any("card" in json.dumps(r.params) for r in fake_stripe.fake.requests)


async def test_signed_webhooks_drive_the_subscription_dedupe_and_survive_reordering(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        customer_id = await subscribe(app, fake_stripe, owner)
        usage = (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()
        assert usage["plan"]["id"] == "pro" and usage["subscription_status"] == "active"
        problem(
            await app.client.post("/api/v1/billing/checkout", json={"plan_id": "business"}, headers=owner.headers()),
            409,
            "already_subscribed",
        )

        # Out of order: the upgrade to business (newer) arrives before an older "updated" event.
        now = int(time.time())
        fake_stripe.fake.put_subscription("sub_1", customer=customer_id, prices=["price_business"])
        newer = stripe_event(
            "customer.subscription.updated",
            {"id": "sub_1", "object": "subscription", "customer": customer_id, "status": "active"},
            created=now,
        )
        older = stripe_event(
            "customer.subscription.updated",
            {"id": "sub_1", "object": "subscription", "customer": customer_id, "status": "past_due"},
            created=now - 60,
        )
        assert (await deliver(app, newer)).status_code == 200
        await run_jobs(app)
        assert (await deliver(app, older)).status_code == 200
        # Duplicate delivery of the same event: acknowledged, stored once, one job.
        duplicate = await deliver(app, older)
        assert duplicate.status_code == 200 and duplicate.json() == {"received": True, "duplicate": True}
        await run_jobs(app)
        state = await rows(app, "SELECT plan_id, status FROM billing_accounts WHERE account_id = %s", owner.account_id)
        assert state == [{"plan_id": "business", "status": "active"}]
        older_id = json.loads(older)["id"]
        assert len(await rows(app, "SELECT 1 FROM jobs WHERE dedupe_key = %s", f"stripe_event:{older_id}")) == 1
        assert (await rows(app, "SELECT status FROM stripe_events WHERE id = %s", older_id)) == [
            {"status": "processed"}
        ]

        # Cancelled in Stripe: the deleted event brings the account back to the free plan.
        fake_stripe.fake.put_subscription("sub_1", customer=customer_id, prices=["price_business"], status="canceled")
        await deliver(
            app,
            stripe_event(
                "customer.subscription.deleted", {"id": "sub_1", "object": "subscription", "customer": customer_id}
            ),
        )
        await run_jobs(app)
        usage = (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()
        assert usage["plan"]["id"] == "free" and usage["subscription_status"] == "canceled"


async def test_bad_signatures_stale_timestamps_and_unknown_types(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        body = stripe_event("invoice.paid", {"id": "in_1", "customer": "cus_x"})
        problem(await deliver(app, body, sign(body, secret="whsec_wrong")), 400, "invalid_signature")
        problem(await deliver(app, body, sign(body, timestamp=int(time.time()) - 301)), 400, "invalid_signature")
        problem(await deliver(app, body, ""), 400, "invalid_signature")
        tampered = body.replace(b"in_1", b"in_2")
        problem(await deliver(app, tampered, sign(body)), 400, "invalid_signature")
        assert await rows(app, "SELECT id FROM stripe_events") == []
        unknown = stripe_event("customer.tax_id.created", {"id": "txi_1"})
        response = await deliver(app, unknown)
        assert response.status_code == 200
        assert await rows(app, "SELECT type, status FROM stripe_events") == [
            {"type": "customer.tax_id.created", "status": "ignored"}
        ]
        assert await rows(app, "SELECT 1 FROM jobs WHERE kind = %s", PROCESS_EVENT_JOB) == []


async def test_a_worker_killed_between_receipt_and_processing_loses_nothing_and_counts_nothing_twice(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        customer_id = await subscribe(app, fake_stripe, owner)
        body = stripe_event(
            "invoice.paid",
            {
                "id": "in_1",
                "object": "invoice",
                "customer": customer_id,
                "subscription": "sub_1",
                "currency": "eur",
                "amount_due": 4900,
                "amount_paid": 4900,
                "created": int(time.time()) - 10,
                "lines": {"data": [{"period": {"start": 1767225600, "end": 1769904000}}]},
            },
        )
        assert (await deliver(app, body)).status_code == 200
        # A worker claims the job and dies (its lease runs out before it finishes).
        store = app.container.job_store()
        job = await store.claim("doomed-worker", frozenset(handlers(app.container)), timedelta(milliseconds=1))
        assert job is not None and job.kind == PROCESS_EVENT_JOB
        await asyncio.sleep(0.01)
        await run_jobs(app)  # another worker: requeues the expired lease and runs the job
        await deliver(app, body)  # Stripe retries the delivery too
        await run_jobs(app)
        records = await rows(
            app,
            "SELECT kind, status, amount_minor, currency, account_id, stripe_invoice_id "
            "FROM billing_records ORDER BY kind",
        )
        assert records == [
            {
                "kind": "invoice",
                "status": "paid",
                "amount_minor": 4900,
                "currency": "eur",
                "account_id": owner.account_id,
                "stripe_invoice_id": "in_1",
            },
            {
                "kind": "payment",
                "status": "succeeded",
                "amount_minor": 4900,
                "currency": "eur",
                "account_id": owner.account_id,
                "stripe_invoice_id": "in_1",
            },
        ]
        jobs = await rows(app, "SELECT status, attempts FROM jobs WHERE id = %s", job.id)
        assert jobs == [{"status": "done", "attempts": 2}]
        listed = (await app.client.get("/api/v1/billing/usage", headers=owner.headers())).json()["records"]
        assert {r["kind"] for r in listed} == {"invoice", "payment"}
