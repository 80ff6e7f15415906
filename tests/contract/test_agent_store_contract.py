"""The AgentRepository contract, on memory and on Postgres: the same tests, the same verdicts.
Both hide other accounts' agents, by the repository's own filter and by the tenant scope."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from aioomi.domain.model.accounts import Account, AccountStatus, Principal
from aioomi.domain.model.agents import (
    MAX_AGENTS_PER_ACCOUNT,
    Agent,
    AgentChanges,
    AgentRetrieval,
    AgentSettings,
    AgentStatus,
    AnswerMode,
    TooManyAgents,
    WidgetPosition,
    WidgetStyle,
    WidgetTheme,
    new_public_key,
)
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.pagination import PageKey

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def account(account_id: str) -> Account:
    return Account(
        id=account_id,
        email=f"{account_id}@example.com",
        full_name="Ada Lovelace",
        password_hash="x",
        google_subject=None,
        email_verified_at=T0,
        adult_attested_at=T0,
        accepted_policy_version="2026-02-15",
        status=AccountStatus.ACTIVE,
        created_at=T0,
        updated_at=T0,
    )


def agent(account_id: str, *, created_at: datetime = T0, **settings: object) -> Agent:
    base = AgentSettings(
        name="Support",
        system_prompt="You answer questions about our shop.\nBe brief.",
        model="gpt-4o-mini",
        temperature=0.7,
        max_tokens=800,
        answer_mode=AnswerMode.ASSISTED,
        fallback_message="Ask our team.",
        retrieval=AgentRetrieval(top_k=5, min_relevance=0.25),
        greeting="Hello! How can I help?",
        starter_questions=("Where is my order?", "Do you ship abroad?"),
        widget=WidgetStyle(
            primary_color="#112233",
            position=WidgetPosition.LEFT,
            title="Shop help",
            avatar_url="https://cdn.example.com/a.png",
            theme=WidgetTheme.DARK,
            launcher_text="Ask us",
        ),
        allowed_origins=("https://shop.example.com", "http://localhost:3000"),
        status=AgentStatus.PAUSED,
    )
    return Agent(
        **(msgspec.structs.asdict(base) | settings),
        id=new_id("agt"),
        account_id=account_id,
        public_key=new_public_key(),
        embedding_model="text-embedding-3-small",
        created_at=created_at,
        updated_at=created_at,
    )


@pytest.fixture
async def accounts(container) -> tuple[str, str]:
    """Two accounts (the agents' foreign key needs them on Postgres)."""
    ids = (new_id("acct"), new_id("acct"))
    async with container.uow()(account_id=None) as uow:
        for account_id in ids:
            await uow.accounts.add(account(account_id))
        await uow.commit()
    return ids


async def stored(container, *agents: Agent) -> None:
    for a in agents:
        async with container.uow()(account_id=a.account_id) as uow:
            await uow.agents.add(a)
            await uow.commit()


async def test_an_agent_comes_back_with_every_field(container, accounts) -> None:
    mine, _ = accounts
    original = agent(mine)
    await stored(container, original)
    async with container.uow()(account_id=mine) as uow:
        found = await uow.agents.get(mine, original.id)
        locked = await uow.agents.get(mine, original.id, for_update=True)
    assert found == original and locked == original
    assert isinstance(found.widget, WidgetStyle) and found.starter_questions == original.starter_questions


async def test_defaults_and_empty_values_round_trip(container, accounts) -> None:
    mine, _ = accounts
    plain = agent(mine, **msgspec.structs.asdict(AgentSettings(name="Plain")))
    await stored(container, plain)
    async with container.uow()(account_id=mine) as uow:
        found = await uow.agents.get(mine, plain.id)
    assert found == plain
    assert found.greeting is None and found.starter_questions == () and found.allowed_origins == ()
    assert found.widget.avatar_url is None


async def test_nothing_is_stored_without_commit(container, accounts) -> None:
    mine, _ = accounts
    a = agent(mine)
    async with container.uow()(account_id=mine) as uow:
        await uow.agents.add(a)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.agents.get(mine, a.id) is None
        assert await uow.agents.count_locked(mine) == 0


async def test_another_accounts_agent_is_invisible_by_filter_and_by_tenant_scope(container, accounts) -> None:
    mine, theirs = accounts
    their_agent = agent(theirs)
    await stored(container, their_agent, agent(mine))
    async with container.uow()(account_id=mine) as uow:
        # Asked under my account id: the repository's filter hides it.
        assert await uow.agents.get(mine, their_agent.id) is None
        # Asked under their account id but in my tenant scope: row-level security hides it.
        assert await uow.agents.get(theirs, their_agent.id) is None
        assert await uow.agents.list_page(theirs, limit=10, after=None) == []
        assert await uow.agents.count_locked(theirs) == 0
        assert await uow.agents.find_by_public_key(their_agent.public_key) is None
        assert not await uow.agents.update(msgspec.structs.replace(their_agent, name="Hijacked"))
        assert not await uow.agents.delete(theirs, their_agent.id)
        await uow.commit()
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.agents.get(theirs, their_agent.id) == their_agent


async def test_find_by_public_key_in_the_system_scope(container, accounts) -> None:
    mine, theirs = accounts
    a, b = agent(mine), agent(theirs)
    await stored(container, a, b)
    async with container.uow()(account_id=None) as uow:
        assert await uow.agents.find_by_public_key(a.public_key) == a
        assert await uow.agents.find_by_public_key(b.public_key) == b
        assert await uow.agents.find_by_public_key(new_public_key()) is None
        assert await uow.agents.find_by_public_key_with_owner(b.public_key) == (b, [AccountStatus.ACTIVE])
        assert await uow.agents.find_by_public_key_with_owner(new_public_key()) is None


async def test_public_keys_and_ids_are_unique_across_accounts(container, accounts) -> None:
    mine, theirs = accounts
    a = agent(mine)
    await stored(container, a)
    with pytest.raises(Conflict):
        async with container.uow()(account_id=theirs) as uow:
            await uow.agents.add(msgspec.structs.replace(agent(theirs), public_key=a.public_key))
            await uow.commit()
    with pytest.raises(Conflict):
        async with container.uow()(account_id=mine) as uow:
            await uow.agents.add(msgspec.structs.replace(agent(mine), id=a.id))
            await uow.commit()
    b = agent(theirs)
    await stored(container, b)
    with pytest.raises(Conflict):
        async with container.uow()(account_id=theirs) as uow:
            await uow.agents.update(msgspec.structs.replace(b, public_key=a.public_key))
            await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.agents.find_by_public_key(a.public_key) == a


async def test_update_replaces_the_settings_and_the_key(container, accounts) -> None:
    mine, _ = accounts
    a = agent(mine)
    await stored(container, a)
    changed = msgspec.structs.replace(
        a,
        name="Renamed",
        greeting=None,
        starter_questions=(),
        allowed_origins=("https://new.example.com",),
        widget=msgspec.structs.replace(a.widget, avatar_url=None, theme=WidgetTheme.LIGHT),
        retrieval=AgentRetrieval(top_k=20, min_relevance=1.0),
        status=AgentStatus.ACTIVE,
        public_key=new_public_key(),
        updated_at=T0 + timedelta(hours=1),
    )
    async with container.uow()(account_id=mine) as uow:
        assert await uow.agents.update(changed)
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        assert await uow.agents.get(mine, a.id) == changed
        assert await uow.agents.find_by_public_key(a.public_key) is None
        assert await uow.agents.find_by_public_key(changed.public_key) == changed


async def test_delete_removes_only_that_agent(container, accounts) -> None:
    mine, _ = accounts
    a, b = agent(mine), agent(mine)
    await stored(container, a, b)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.agents.delete(mine, a.id)
        assert not await uow.agents.delete(mine, a.id)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.agents.get(mine, a.id) is None
        assert await uow.agents.get(mine, b.id) == b
        assert await uow.agents.count_locked(mine) == 1


async def test_pages_list_newest_first_without_duplicates_or_gaps(container, accounts) -> None:
    mine, theirs = accounts
    # Three share a creation time: the id breaks the tie, the same way in both stores.
    times = [
        T0,
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=1),
        T0 + timedelta(microseconds=2_000_001),
        T0 + timedelta(minutes=5),
        T0 - timedelta(days=1),
    ]
    mine_agents = [agent(mine, created_at=t) for t in times]
    await stored(container, *mine_agents, agent(theirs, created_at=T0 + timedelta(seconds=1)))
    expected = sorted(mine_agents, key=lambda a: (a.created_at, a.id), reverse=True)

    async with container.uow()(account_id=mine) as uow:
        assert await uow.agents.count_locked(mine) == len(mine_agents)
        assert await uow.agents.list_page(mine, limit=100, after=None) == expected
        seen: list[Agent] = []
        after = None
        while True:
            page = await uow.agents.list_page(mine, limit=2, after=after)
            if not page:
                break
            assert len(page) <= 2
            seen.extend(page)
            after = PageKey(created_at=page[-1].created_at, id=page[-1].id)
    assert [a.id for a in seen] == [a.id for a in expected]


async def _warm_up(container, account_id: str, n: int) -> None:
    """Open ``n`` units of work at once, so the pool holds that many connections and the
    concurrent steps that follow really interleave."""
    barrier = asyncio.Barrier(n)

    async def hold() -> None:
        async with container.uow()(account_id=account_id):
            await barrier.wait()

    await asyncio.gather(*[hold() for _ in range(n)])


async def test_concurrent_creations_never_pass_the_limit(container, accounts) -> None:
    mine, _ = accounts
    await stored(container, *[agent(mine) for _ in range(MAX_AGENTS_PER_ACCOUNT - 2)])
    await _warm_up(container, mine, 6)
    create = container.create_agent()
    results = await asyncio.gather(
        *[create(Principal.own(account_id=mine), AgentSettings(name=f"Agent {i}")) for i in range(6)],
        return_exceptions=True,
    )
    assert sum(isinstance(r, Agent) for r in results) == 2
    assert all(isinstance(r, (Agent, TooManyAgents)) for r in results), results
    async with container.uow()(account_id=mine) as uow:
        assert await uow.agents.count_locked(mine) == MAX_AGENTS_PER_ACCOUNT


async def test_concurrent_partial_updates_all_survive(container, accounts) -> None:
    mine, _ = accounts
    a = agent(mine)
    await stored(container, a)
    await _warm_up(container, mine, 6)
    update = container.update_agent()
    principal = Principal.own(account_id=mine)
    changes = [
        AgentChanges(name="New name"),
        AgentChanges(system_prompt="New prompt"),
        AgentChanges(greeting=None),
        AgentChanges(temperature=1.5),
        AgentChanges(max_tokens=42),
        AgentChanges(model="gpt-4.1"),
    ]
    await asyncio.gather(*[update(principal, a.id, c) for c in changes])
    async with container.uow()(account_id=mine) as uow:
        found = await uow.agents.get(mine, a.id)
    assert (found.name, found.system_prompt, found.greeting, found.temperature, found.max_tokens, found.model) == (
        "New name",
        "New prompt",
        None,
        1.5,
        42,
        "gpt-4.1",
    )
