"""The usage ledger's contract, on memory and Postgres alike: entries, grouped totals, the
monthly counters quotas read, agent caps, and the tenant scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aioomi.container import Container
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.usage import PeriodUsage, UsageEntry, UsageKind, UsageTotal
from tests.contract.test_account_stores_contract import an_account

MAR = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def entry(
    account_id: str,
    agent_id: str,
    at: datetime,
    *,
    model: str = "gpt-4o",
    kind: UsageKind = UsageKind.CHAT,
    prompt: int = 100,
    completion: int = 20,
) -> UsageEntry:
    return UsageEntry(
        id=new_id("use"),
        account_id=account_id,
        agent_id=agent_id,
        session_id=None,
        model=model,
        kind=kind,
        prompt_tokens=prompt,
        completion_tokens=completion,
        occurred_at=at,
    )


async def accounts(container: Container, *emails: str) -> list[str]:
    made = [an_account(e) for e in emails]
    async with container.uow()(account_id=None) as uow:
        for account in made:
            await uow.accounts.add(account)
        await uow.commit()
    return [a.id for a in made]


async def add(container: Container, *entries: UsageEntry) -> None:
    for e in entries:
        async with container.uow()(account_id=e.account_id) as uow:
            await uow.usage.add(e)
            await uow.commit()


async def test_totals_group_by_day_agent_and_model_in_the_range(container: Container) -> None:
    (ada,) = await accounts(container, "ada@example.com")
    await add(
        container,
        entry(ada, "agt_a", MAR),
        entry(ada, "agt_a", MAR + timedelta(hours=1), prompt=10, completion=5),
        entry(ada, "agt_b", MAR, model="text-embedding-3-small", kind=UsageKind.EMBEDDING, prompt=7, completion=0),
        entry(ada, "agt_a", MAR + timedelta(days=1)),
        entry(ada, "agt_a", MAR + timedelta(days=40)),  # outside the range
    )
    async with container.uow()(account_id=ada) as uow:
        rows = await uow.usage.totals(ada, MAR - timedelta(days=1), MAR + timedelta(days=5))
        by_agent = await uow.usage.totals(ada, MAR - timedelta(days=1), MAR + timedelta(days=5), ("agent",))
    assert rows == [
        UsageTotal(
            day=date(2026, 3, 10), agent_id="agt_a", model="gpt-4o", calls=2, prompt_tokens=110, completion_tokens=25
        ),
        UsageTotal(
            day=date(2026, 3, 10),
            agent_id="agt_b",
            model="text-embedding-3-small",
            calls=1,
            prompt_tokens=7,
            completion_tokens=0,
        ),
        UsageTotal(
            day=date(2026, 3, 11), agent_id="agt_a", model="gpt-4o", calls=1, prompt_tokens=100, completion_tokens=20
        ),
    ]
    assert by_agent == [
        UsageTotal(agent_id="agt_a", calls=3, prompt_tokens=210, completion_tokens=45),
        UsageTotal(agent_id="agt_b", calls=1, prompt_tokens=7, completion_tokens=0),
    ]


async def test_counters_follow_the_ledger_per_month_and_count_chat_messages_only(container: Container) -> None:
    ada, bob = await accounts(container, "ada@example.com", "bob@example.com")
    await add(
        container,
        entry(ada, "agt_a", MAR),
        entry(ada, "agt_b", MAR, prompt=1000, completion=0),
        entry(ada, "agt_a", MAR, kind=UsageKind.EMBEDDING, prompt=50, completion=0),
        entry(ada, "agt_a", datetime(2026, 4, 1, 0, 0, tzinfo=UTC)),  # next period
        entry(bob, "agt_z", MAR, prompt=5000, completion=0),
    )
    async with container.uow()(account_id=ada) as uow:
        assert await uow.usage.period_usage(ada, date(2026, 3, 1)) == PeriodUsage(messages=2, tokens=1170)
        assert await uow.usage.period_usage(ada, date(2026, 4, 1)) == PeriodUsage(messages=1, tokens=120)
        state = await uow.usage.allowance_state(ada, "agt_a", date(2026, 3, 1))
    assert state.account == PeriodUsage(messages=2, tokens=1170)
    assert state.agent == PeriodUsage(messages=1, tokens=170)
    assert state.agent_token_cap is None


async def test_agent_caps_are_set_replaced_and_removed(container: Container) -> None:
    (ada,) = await accounts(container, "ada@example.com")
    async with container.uow()(account_id=ada) as uow:
        await uow.usage.set_agent_token_cap(ada, "agt_a", 500)
        await uow.usage.set_agent_token_cap(ada, "agt_a", 700)
        await uow.usage.set_agent_token_cap(ada, "agt_b", 0)
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        assert await uow.usage.agent_token_caps(ada) == {"agt_a": 700, "agt_b": 0}
        assert (await uow.usage.allowance_state(ada, "agt_a", date(2026, 3, 1))).agent_token_cap == 700
        await uow.usage.set_agent_token_cap(ada, "agt_a", None)
        await uow.commit()
    async with container.uow()(account_id=ada) as uow:
        assert await uow.usage.agent_token_caps(ada) == {"agt_b": 0}


async def test_another_tenant_sees_nothing_and_rollback_drops_entries(container: Container) -> None:
    ada, bob = await accounts(container, "ada@example.com", "bob@example.com")
    await add(container, entry(ada, "agt_a", MAR))
    async with container.uow()(account_id=bob) as uow:
        assert await uow.usage.totals(ada, MAR - timedelta(days=1), MAR + timedelta(days=1)) == []
        assert await uow.usage.period_usage(ada, date(2026, 3, 1)) == PeriodUsage()
    async with container.uow()(account_id=ada) as uow:
        await uow.usage.add(entry(ada, "agt_a", MAR))  # never committed
    async with container.uow()(account_id=ada) as uow:
        assert await uow.usage.period_usage(ada, date(2026, 3, 1)) == PeriodUsage(messages=1, tokens=120)


async def test_bad_groups_and_negative_tokens_are_refused(container: Container) -> None:
    (ada,) = await accounts(container, "ada@example.com")
    async with container.uow()(account_id=ada) as uow:
        with pytest.raises(InvalidInput):
            await uow.usage.totals(ada, MAR, MAR + timedelta(days=1), ("week",))
    with pytest.raises(InvalidInput):
        entry(ada, "agt_a", MAR, prompt=-1)
