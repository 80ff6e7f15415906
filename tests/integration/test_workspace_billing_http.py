"""Billing belongs to the workspace, whatever its id (issue 21): checkout and Stripe's webhooks
for a workspace whose id is no account's, on Postgres, with the official stripe SDK talking to
the fake Stripe server. The workspace is created through the store (as ``POST
/api/v1/workspaces`` would) and chosen with ``POST /api/v1/workspaces/current``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aioomi.domain.model.workspaces import Membership, Role, Workspace
from tests.fakes.stripe_fixtures import ServedFakeStripe, _served_fake_stripe, fake_stripe, stripe_event  # noqa: F401 - fixtures
from tests.integration.accounts_support import sign_up_and_verify
from tests.integration.billing_support import billing_app, deliver, rows, run_jobs

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def a_workspace(app, workspace_id: str, owner_id: str) -> None:
    async with app.container.uow()(account_id=workspace_id) as uow:
        await uow.workspaces.add(
            Workspace(id=workspace_id, name="Team", created_at=T0, updated_at=T0),
            Membership(workspace_id=workspace_id, account_id=owner_id, role=Role.OWNER, created_at=T0),
        )
        await uow.commit()


async def test_a_workspace_with_a_new_id_checks_out_and_its_webhooks_find_it(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        ada = await sign_up_and_verify(app, "ada@example.com")
        await a_workspace(app, "ws_team", ada.account_id)
        switched = await app.client.post(
            "/api/v1/workspaces/current", json={"workspace_id": "ws_team"}, headers=ada.headers()
        )
        assert switched.status_code == 200, switched.text

        response = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=ada.headers())
        assert response.status_code == 201, response.text
        # The customer is the workspace's, with the e-mail of the owner who checked out.
        customer = fake_stripe.fake.received("/v1/customers")[-1].params
        assert customer["email"] == "ada@example.com"
        assert customer["metadata"]["workspace_id"] == "ws_team"
        customer_id = next(iter(fake_stripe.fake.customers))
        session = next(iter(fake_stripe.fake.sessions.values()))
        assert session["client_reference_id"] == "ws_team" and session["customer"] == customer_id
        stored = await rows(app, "SELECT account_id, customer_id FROM billing_accounts")
        assert stored == [{"account_id": "ws_team", "customer_id": customer_id}]

        # Stripe's checkout.session.completed names the workspace: the worker subscribes it.
        fake_stripe.fake.put_subscription("sub_1", customer=customer_id, prices=["price_pro", "price_pro_tokens"])
        completed = stripe_event(
            "checkout.session.completed",
            {
                "id": "cs_test_1",
                "object": "checkout.session",
                "mode": "subscription",
                "client_reference_id": "ws_team",
                "customer": customer_id,
                "subscription": "sub_1",
            },
        )
        assert (await deliver(app, completed)).status_code == 200
        await run_jobs(app)
        state = await rows(app, "SELECT account_id, plan_id, status FROM billing_accounts ORDER BY account_id")
        assert state == [{"account_id": "ws_team", "plan_id": "pro", "status": "active"}]
        usage = (await app.client.get("/api/v1/billing/usage", headers=ada.headers())).json()
        assert usage["plan"]["id"] == "pro"


async def test_a_subscription_made_elsewhere_finds_its_workspace_by_the_metadata(
    pg_conninfo: str, tmp_path: Path, fake_stripe: ServedFakeStripe
) -> None:
    async with billing_app("postgres", tmp_path / "a", pg_conninfo, fake_stripe) as app:
        ada = await sign_up_and_verify(app, "ada@example.com")
        await a_workspace(app, "ws_two", ada.account_id)
        # A subscription whose customer Aioomi never stored, naming the workspace in its
        # metadata (as Aioomi's own checkout does), and one naming a workspace that does not exist.
        fake_stripe.fake.put_subscription("sub_2", customer="cus_elsewhere", prices=["price_business"])
        fake_stripe.fake.subscriptions["sub_2"]["metadata"] = {"workspace_id": "ws_two"}
        fake_stripe.fake.put_subscription("sub_3", customer="cus_nobody", prices=["price_business"])
        fake_stripe.fake.subscriptions["sub_3"]["metadata"] = {"workspace_id": "ws_gone"}
        for sub, customer in (("sub_2", "cus_elsewhere"), ("sub_3", "cus_nobody")):
            event = stripe_event(
                "customer.subscription.created",
                {"id": sub, "object": "subscription", "customer": customer, "status": "active"},
            )
            assert (await deliver(app, event)).status_code == 200
        await run_jobs(app)
        state = await rows(app, "SELECT account_id, customer_id, plan_id FROM billing_accounts ORDER BY account_id")
        assert state == [{"account_id": "ws_two", "customer_id": "cus_elsewhere", "plan_id": "business"}]
        outcomes = await rows(app, "SELECT data->>'id' AS sub, status FROM stripe_events ORDER BY 1")
        assert outcomes == [{"sub": "sub_2", "status": "processed"}, {"sub": "sub_3", "status": "ignored"}]
