"""The plan's agent, document and storage limits, on the memory container: over a limit
``plan_limit_reached`` and nothing is stored; a paid plan lifts them; billing off, no plan
limits apply (only the hard caps)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.billing import BillingAccount, PlanLimitReached, SubscriptionStatus
from aioomi.domain.model.documents import DocumentSource, DocumentUpload
from aioomi.domain.model.usage import QuotaExceeded
from aioomi.settings import Settings

ME = Principal.own(account_id="acct_me")
THEM = Principal.own(account_id="acct_them")
PLANS = [
    {"id": "free", "name": "Free", "max_agents": 1, "max_documents": 2, "max_storage_mb": 1},
    {"id": "pro", "name": "Pro", "price_id": "price_pro"},
]


def text(body: str) -> DocumentUpload:
    return DocumentUpload(
        data=body.encode(), title=None, filename="t.md", content_type="text/markdown", source=DocumentSource.TEXT
    )


def blob(size: int, fill: bytes = b"a") -> DocumentUpload:
    return DocumentUpload(
        data=fill * size, title=None, filename="t.txt", content_type="text/plain", source=DocumentSource.UPLOAD
    )


async def running(tmp_path: Path, **more: str) -> Container:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path), billing_plans=json.dumps(PLANS), **more))
    await start(container)
    return container


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    container = await running(tmp_path, stripe_secret_key="sk_test_x")
    yield container
    await stop(container)


async def agents_of(container: Container, principal: Principal) -> int:
    return len((await container.list_agents()(principal, limit=100)).items)


async def documents_of(container: Container, principal: Principal, agent_id: str) -> int:
    return len((await container.list_documents()(principal, agent_id, limit=100)).items)


def blobs(container: Container) -> int:
    root = Path(container.settings().blobs_dir)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


async def subscribe(container: Container, principal: Principal, plan_id: str) -> None:
    async with container.uow()(account_id=principal.account_id) as uow:
        await uow.billing.save_account(
            BillingAccount(
                account_id=principal.account_id, customer_id="cus_1", plan_id=plan_id, status=SubscriptionStatus.ACTIVE
            )
        )
        await uow.commit()


async def test_an_agent_beyond_the_plans_max_agents_is_refused_and_not_stored(container: Container) -> None:
    create = container.create_agent()
    await create(ME, AgentSettings(name="One"))
    with pytest.raises(PlanLimitReached) as refused:
        await create(ME, AgentSettings(name="Two"))
    assert refused.value.code == "plan_limit_reached"
    assert isinstance(refused.value, QuotaExceeded)  # so it answers 402 like the chat quota
    assert "Free plan allows 1 agent" in str(refused.value)
    assert await agents_of(container, ME) == 1
    await create(THEM, AgentSettings(name="Theirs"))  # another account counts its own


async def test_a_paid_plan_lifts_the_limits(container: Container) -> None:
    await subscribe(container, ME, "pro")
    create = container.create_agent()
    for i in range(3):
        agent = await create(ME, AgentSettings(name=f"A{i}"))
    for i in range(4):
        await container.add_document()(ME, agent.id, text(f"# Doc {i}\n\nWords number {i}.\n"))
    assert await agents_of(container, ME) == 3


async def test_documents_beyond_max_documents_per_account_are_refused_with_nothing_stored(container: Container) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="One"))
    add = container.add_document()
    await add(ME, agent.id, text("# One\n\nFirst.\n"))
    await add(ME, agent.id, text("# Two\n\nSecond.\n"))
    stored = blobs(container)
    with pytest.raises(PlanLimitReached, match="2 document"):
        await add(ME, agent.id, text("# Three\n\nThird.\n"))
    assert await documents_of(container, ME, agent.id) == 2
    assert blobs(container) == stored
    # the same content again is still answered with the existing document, not refused
    _, created = await add(ME, agent.id, text("# One\n\nFirst.\n"))
    assert created is False


class LockOrder:
    """A unit-of-work factory that records, in order, the per-account lock
    (``agents.count_locked``), the read of the account's totals and the knowledge-base lock."""

    WATCHED = (("agents", "count_locked"), ("documents", "account_totals"), ("documents", "lock_knowledge_base"))

    def __init__(self, factory: Callable[..., Any]) -> None:
        self._factory = factory
        self.calls: list[str] = []

    def __call__(self, **scope: Any) -> LockOrder.Unit:
        return LockOrder.Unit(self._factory(**scope), self.calls)

    class Unit:
        def __init__(self, inner: Any, calls: list[str]) -> None:
            self._inner = inner
            self._calls = calls

        async def __aenter__(self) -> Any:
            uow = await self._inner.__aenter__()
            for repository, name in LockOrder.WATCHED:
                target = getattr(uow, repository)
                setattr(target, name, self._recorded(name, getattr(target, name)))
            return uow

        async def __aexit__(self, *exc: object) -> Any:
            return await self._inner.__aexit__(*exc)

        def _recorded(self, name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            async def recorded(*args: Any, **kwargs: Any) -> Any:
                self._calls.append(name)
                return await call(*args, **kwargs)

            return recorded


async def test_uploads_read_the_accounts_totals_under_the_per_account_lock(container: Container) -> None:
    """Concurrent uploads to two agents of one account take turns on the per-account lock (the
    knowledge-base lock is per agent): the totals the plan is checked against are read only
    once the lock is held, and the lock comes before the knowledge-base lock."""
    agent = await container.create_agent()(ME, AgentSettings(name="One"))
    first, _ = await container.add_document()(ME, agent.id, blob(100))
    spy = LockOrder(container.uow())
    container.uow.override(providers.Object(spy))
    try:
        await container.add_document()(ME, agent.id, blob(200, b"b"))
        assert spy.calls == ["count_locked", "account_totals", "lock_knowledge_base"]
        spy.calls.clear()
        await container.replace_document()(ME, agent.id, first.id, blob(300, b"c"))
        assert spy.calls == ["count_locked", "account_totals", "lock_knowledge_base"]
    finally:
        container.uow.reset_override()


async def test_storage_beyond_max_storage_mb_is_refused_with_nothing_stored(container: Container) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="One"))
    add = container.add_document()
    first, _ = await add(ME, agent.id, blob(700 * 1024))
    stored = blobs(container)
    with pytest.raises(PlanLimitReached, match="1 MB"):
        await add(ME, agent.id, blob(400 * 1024, b"b"))
    assert await documents_of(container, ME, agent.id) == 1
    assert blobs(container) == stored
    await add(ME, agent.id, blob(300 * 1024, b"c"))  # exactly 1 MB in all still fits
    # replacing counts the new original instead of the old one
    with pytest.raises(PlanLimitReached):
        await container.replace_document()(ME, agent.id, first.id, blob(800 * 1024, b"d"))
    assert (await container.get_document()(ME, agent.id, first.id)).size_bytes == 700 * 1024
    await container.replace_document()(ME, agent.id, first.id, blob(600 * 1024, b"e"))


async def test_billing_off_with_plans_configured_still_applies_the_free_plans_limits(tmp_path: Path) -> None:
    container = await running(tmp_path)  # AIOOMI_BILLING_PLANS set, no Stripe key
    try:
        plan = await container.usage_allowance().plan_limits(ME.account_id)
        assert plan is not None and plan.id == "free"
        await container.create_agent()(ME, AgentSettings(name="A0"))
        with pytest.raises(PlanLimitReached):
            await container.create_agent()(ME, AgentSettings(name="A1"))
        assert await agents_of(container, ME) == 1
    finally:
        await stop(container)


async def test_no_billing_and_no_plans_configured_applies_no_plan_limits(tmp_path: Path) -> None:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path)))
    await start(container)
    try:
        assert await container.usage_allowance().plan_limits(ME.account_id) is None
        for i in range(3):
            agent = await container.create_agent()(ME, AgentSettings(name=f"A{i}"))
        for i in range(3):
            await container.add_document()(ME, agent.id, text(f"# Doc {i}\n\nWords {i}.\n"))
        assert await agents_of(container, ME) == 3 and await documents_of(container, ME, agent.id) == 3
    finally:
        await stop(container)
