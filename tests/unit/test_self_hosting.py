"""Self-hosting without billing: no plan limits unless the operator sets plans (an agent's spend
cap still holds), offline answers are metered as messages with 0 tokens, and the billing
endpoints of a server without Stripe say ``billing_disabled`` as a 404, not an outage."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aioomi.adapters.local.extractive_responder import ExtractiveResponder
from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import BillingDisabled
from aioomi.domain.model.chat import Passage
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.usage import QuotaExceeded, UsageEntry, UsageKind, period_start
from aioomi.domain.usecases.answer_chat import ChatCaller
from aioomi.entrypoints.http.problems import status_for
from aioomi.settings import Settings
from tests.unit.chat_support import VISITOR, ListSearch, account, agent_for, answer_chat, store


async def running(tmp_path: Path, **settings: str) -> Container:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path), **settings))
    await start(container)
    return container


@pytest.fixture
async def self_hosted(tmp_path: Path) -> AsyncIterator[Container]:
    """No STRIPE_SECRET_KEY and no AIOOMI_BILLING_PLANS."""
    container = await running(tmp_path)
    yield container
    await stop(container)


async def spend(container: Container, account_id: str, agent_id: str, *, messages: int, tokens_each: int) -> None:
    for _ in range(messages):
        await container.record_usage()(
            UsageEntry(
                id=new_id("use"),
                account_id=account_id,
                agent_id=agent_id,
                model="gpt-4o",
                kind=UsageKind.CHAT,
                prompt_tokens=tokens_each,
                completion_tokens=0,
                occurred_at=datetime.now(UTC),
            )
        )


async def test_without_billing_or_plans_no_allowance_applies_but_an_agents_cap_does(self_hosted: Container) -> None:
    # Far past the default free plan's 100 messages and 200,000 tokens a month.
    await spend(self_hosted, "acct_a", "agt_a", messages=150, tokens_each=10_000)
    await self_hosted.usage_allowance().check("acct_a", "agt_a")
    async with self_hosted.uow()(account_id="acct_a") as uow:
        await uow.usage.set_agent_token_cap("acct_a", "agt_a", 1_000_000)
        await uow.commit()
    with pytest.raises(QuotaExceeded):  # 1,500,000 tokens spent ≥ the agent's 1,000,000 cap
        await self_hosted.usage_allowance().check("acct_a", "agt_a")
    await self_hosted.usage_allowance().check("acct_a", "agt_b")  # the cap is the agent's own


async def test_the_billing_overview_of_a_self_hosted_server_shows_no_limits(self_hosted: Container) -> None:
    overview = await self_hosted.get_billing_overview()(Principal.own(account_id="acct_a"))
    plan = overview.plan
    assert (plan.monthly_messages, plan.monthly_tokens, plan.max_agents, plan.max_documents, plan.max_storage_mb) == (
        None,
        None,
        None,
        None,
        None,
    )


async def test_with_plans_configured_the_free_plan_applies_even_without_stripe(tmp_path: Path) -> None:
    plans = [{"id": "free", "name": "Free", "monthly_messages": 2}, {"id": "pro", "name": "Pro", "price_id": "p"}]
    container = await running(tmp_path, billing_plans=json.dumps(plans))
    try:
        await spend(container, "acct_a", "agt_a", messages=1, tokens_each=1)
        await container.usage_allowance().check("acct_a", "agt_a")
        await spend(container, "acct_a", "agt_a", messages=1, tokens_each=1)
        with pytest.raises(QuotaExceeded):  # 2 messages used of the 2 the free plan allows
            await container.usage_allowance().check("acct_a", "agt_a")
        overview = await container.get_billing_overview()(Principal.own(account_id="acct_a"))
        assert (overview.plan.id, overview.plan.monthly_messages) == ("free", 2)
    finally:
        await stop(container)


async def test_an_offline_answer_is_metered_as_one_message_and_no_tokens(self_hosted: Container) -> None:
    owner = account()
    agent = agent_for(owner)
    await store(self_hosted, owner, agent)
    returns = Passage(
        document_id="doc_r", document_title="Returns", position=0, text="You can return any item within 30 days."
    )
    chat = answer_chat(self_hosted, ExtractiveResponder(), ListSearch([returns]))  # type: ignore[arg-type]
    answer = await chat(agent, ChatCaller(visitor_id=VISITOR, ip=None, user_agent=None), "Can I return an item?")
    events = [e async for e in answer.events()]
    assert events[-1].message.content == "You can return any item within 30 days. [1]"  # type: ignore[union-attr]
    entries = [e for e in self_hosted.memory_database().table("usage_entries").values() if e.agent_id == agent.id]
    assert [(e.kind, e.prompt_tokens, e.completion_tokens) for e in entries] == [(UsageKind.CHAT, 0, 0)]
    async with self_hosted.uow()(account_id=owner.id) as uow:
        used = await uow.usage.period_usage(owner.id, period_start(datetime.now(UTC)))
    assert (used.messages, used.tokens) == (1, 0)


async def test_checkout_and_portal_without_stripe_are_404_billing_disabled(self_hosted: Container) -> None:
    me = Principal.own(account_id="acct_a")
    with pytest.raises(BillingDisabled) as checkout:
        await self_hosted.start_checkout()(me, "pro")
    with pytest.raises(BillingDisabled) as portal:
        await self_hosted.open_billing_portal()(me)
    assert status_for(checkout.value) == status_for(portal.value) == 404
    assert checkout.value.code == "billing_disabled"
