"""Billing and quota rules, and the quota check and webhook receipt on the memory container."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.billing import (
    BillingAccount,
    Plan,
    PlanCatalog,
    SubscriptionStatus,
    enforce_allowance,
    meter_identifier,
    overage_tokens,
    parse_plans,
    record_cutoff,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.usage import AllowanceState, PeriodUsage, QuotaExceeded, UsageEntry, UsageKind, period_start
from aioomi.entrypoints.http.problems import status_for
from aioomi.settings import Settings, SettingsError, load_settings
from tests.fakes.stripe_fixtures import WEBHOOK_SECRET, sign, stripe_event
from tests.fakes.stripe_server import unflatten

METERED = Plan(id="pro", name="Pro", monthly_messages=None, monthly_tokens=1000, price_id="p", metered_price_id="m")
FREE = Plan(id="free", name="Free", monthly_messages=2, monthly_tokens=100)


def state(messages: int = 0, tokens: int = 0, agent_tokens: int = 0, cap: int | None = None) -> AllowanceState:
    return AllowanceState(
        account=PeriodUsage(messages=messages, tokens=tokens),
        agent=PeriodUsage(tokens=agent_tokens),
        agent_token_cap=cap,
    )


def test_allowances_refuse_past_the_limit_unless_the_plan_bills_overage() -> None:
    enforce_allowance(FREE, state(messages=1, tokens=99))
    with pytest.raises(QuotaExceeded):
        enforce_allowance(FREE, state(messages=2))
    with pytest.raises(QuotaExceeded):
        enforce_allowance(FREE, state(tokens=100))
    enforce_allowance(METERED, state(tokens=10**9))  # billed, not refused
    with pytest.raises(QuotaExceeded):
        enforce_allowance(METERED, state(agent_tokens=50, cap=50))  # the agent's cap always holds
    assert status_for(QuotaExceeded()) == 402 and QuotaExceeded().code == "quota_exceeded"


@given(st.integers(0, 10**9))
def test_overage_is_never_negative_and_is_what_exceeds_the_allowance(tokens: int) -> None:
    over = overage_tokens(METERED, PeriodUsage(tokens=tokens))
    assert over == max(0, tokens - 1000)
    assert overage_tokens(FREE, PeriodUsage(tokens=tokens)) == 0


def test_identifiers_periods_and_retention_cutoffs() -> None:
    assert meter_identifier("acct_a", date(2026, 3, 1), 10) == meter_identifier("acct_a", date(2026, 3, 1), 10)
    assert meter_identifier("acct_a", date(2026, 3, 1), 10) != meter_identifier("acct_a", date(2026, 3, 1), 11)
    assert period_start(datetime(2026, 3, 31, 23, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert record_cutoff(datetime(2031, 2, 28, tzinfo=UTC)) == datetime(2024, 2, 28, tzinfo=UTC)
    assert record_cutoff(datetime(2032, 2, 29, tzinfo=UTC)) == datetime(2025, 2, 28, tzinfo=UTC)


def test_a_lapsed_or_downgraded_subscription_gets_the_free_plan() -> None:
    catalog = PlanCatalog(plans=(FREE, METERED))
    paying = BillingAccount(account_id="acct_a", plan_id="pro", status=SubscriptionStatus.PAST_DUE)
    assert paying.effective_plan(catalog).id == "pro"
    assert (
        BillingAccount(account_id="a", plan_id="pro", status=SubscriptionStatus.CANCELED).effective_plan(catalog).id
        == "free"
    )
    downgraded = BillingAccount(
        account_id="a", plan_id="pro", status=SubscriptionStatus.ACTIVE, downgraded_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert downgraded.effective_plan(catalog).id == "free"


def test_plans_come_from_json_and_must_include_free() -> None:
    assert parse_plans(json.dumps([{"id": "free", "name": "Free"}])).free.name == "Free"
    with pytest.raises(SettingsError):
        load_settings({"AIOOMI_BILLING_PLANS": json.dumps([{"id": "pro", "name": "Pro"}])})
    with pytest.raises(SettingsError):
        load_settings({"AIOOMI_STRIPE_API_BASE": "ftp://x"})


def test_the_fake_reads_stripe_form_encoding() -> None:
    assert unflatten([("line_items[0][price]", "p"), ("line_items[1][price]", "m"), ("metadata[a]", "b")]) == {
        "line_items": [{"price": "p"}, {"price": "m"}],
        "metadata": {"a": "b"},
    }


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    plans = [
        {"id": "free", "name": "Free", "monthly_messages": 1},
        {"id": "pro", "name": "Pro", "price_id": "price_pro"},
    ]
    container = container_in_memory(
        settings=Settings(
            data_dir=str(tmp_path),
            billing_plans=json.dumps(plans),
            stripe_secret_key="sk_test_x",
            stripe_webhook_secret=WEBHOOK_SECRET,
        )
    )
    await start(container)
    yield container
    await stop(container)


async def test_the_quota_check_reads_the_subscription_and_counters_in_memory(container: Container) -> None:
    allowance = container.usage_allowance()
    await container.record_usage()(
        UsageEntry(
            id=new_id("use"),
            account_id="acct_a",
            agent_id="agt_a",
            model="m",
            kind=UsageKind.CHAT,
            prompt_tokens=1,
            completion_tokens=1,
            occurred_at=datetime.now(UTC),
        )
    )
    with pytest.raises(QuotaExceeded):
        await allowance.check("acct_a", "agt_a")
    await allowance.check("acct_b", "agt_a")  # another account's usage is its own
    async with container.uow()(account_id="acct_a") as uow:
        await uow.billing.save_account(
            BillingAccount(account_id="acct_a", customer_id="cus_1", plan_id="pro", status=SubscriptionStatus.ACTIVE)
        )
        await uow.commit()
    await allowance.check("acct_a", "agt_a")  # pro: unlimited


async def test_webhook_receipt_in_memory_stores_once_and_enqueues_once(container: Container) -> None:
    body = stripe_event("invoice.paid", {"id": "in_1", "customer": "cus_1"})
    receive = container.receive_stripe_event()
    first = await receive(body, sign(body))
    second = await receive(body, sign(body))
    assert not first.duplicate and second.duplicate
    assert [j.kind for j in container.job_store().jobs] == ["billing.process_event"]
    async with container.uow()(account_id="acct_a") as uow:  # a tenant never sees stored events
        assert await uow.billing.get_event(first.event_id) is None
    assert await container.process_stripe_event()(first.event_id) == "ignored"  # unknown customer
    assert await container.process_stripe_event()(first.event_id) == "skipped"
