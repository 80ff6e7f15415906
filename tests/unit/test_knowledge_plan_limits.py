"""The plan's limits on every way of adding knowledge, not only uploads, on the memory
container: Q&A pairs (add, edit, CSV import all or nothing) count against the account's
documents and stored bytes exactly as uploads do; a web source's page count comes from the plan
(the server's setting only without one), is refused above it at set-up and capped at each run.
The crawl itself is in tests/integration/test_crawl.py and, over HTTP on Postgres, in
tests/integration/test_knowledge_plan_limits_http.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.billing import BillingAccount, DocumentQuota, Plan, PlanLimitReached, SubscriptionStatus
from aioomi.domain.model.documents import DocumentSource, DocumentUpload
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.qa_pairs import QaPairInput
from aioomi.domain.model.sources import SourceKind, SourceSettings
from aioomi.settings import Settings

ME = Principal.own(account_id="acct_me")
MB = 1024 * 1024
PLANS = [
    {"id": "free", "name": "Free", "max_documents": 3, "max_storage_mb": 1, "max_source_pages": 40},
    {"id": "pro", "name": "Pro", "price_id": "price_pro", "max_source_pages": 900},
]


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    container = container_in_memory(
        settings=Settings(
            data_dir=str(tmp_path), billing_plans=json.dumps(PLANS), stripe_secret_key="sk_test_x", source_max_pages=300
        )
    )
    await start(container)
    yield container
    await stop(container)


def text(body: str) -> DocumentUpload:
    return DocumentUpload(
        data=body.encode(), title=None, filename="t.md", content_type="text/markdown", source=DocumentSource.TEXT
    )


def blob(size: int, fill: bytes = b"a") -> DocumentUpload:
    return DocumentUpload(
        data=fill * size, title=None, filename="t.txt", content_type="text/plain", source=DocumentSource.UPLOAD
    )


def stored(container: Container) -> dict[str, bytes]:
    return dict(container.blob_store().blobs)


async def subscribe(container: Container, plan_id: str) -> None:
    async with container.uow()(account_id=ME.account_id) as uow:
        await uow.billing.save_account(
            BillingAccount(
                account_id=ME.account_id, customer_id="cus_1", plan_id=plan_id, status=SubscriptionStatus.ACTIVE
            )
        )
        await uow.commit()


def test_a_quota_admits_documents_and_bytes_while_they_fit_and_counts_nothing_it_refuses() -> None:
    quota = DocumentQuota(
        plan=Plan(id="free", name="Free", max_documents=2, max_storage_mb=1), documents=1, stored_bytes=MB - 300
    )
    quota.admit(100)  # the 2nd document; 300 bytes were free
    assert (quota.documents, quota.stored_bytes) == (2, MB - 200)
    with pytest.raises(PlanLimitReached, match="2 document"):
        quota.admit(1)  # a 3rd document
    assert (quota.documents, quota.stored_bytes) == (2, MB - 200)
    quota.admit(250, replacing_bytes=100)  # a replaced original: no new document, 150 bytes more
    assert (quota.documents, quota.stored_bytes) == (2, MB - 50)
    with pytest.raises(PlanLimitReached, match="1 MB"):
        quota.admit(351, replacing_bytes=300)  # 51 bytes more than the 50 left
    assert (quota.documents, quota.stored_bytes) == (2, MB - 50)


async def test_a_pair_beyond_the_plans_documents_is_refused_with_nothing_stored(container: Container) -> None:
    shop = await container.create_agent()(ME, AgentSettings(name="Shop"))
    help_desk = await container.create_agent()(ME, AgentSettings(name="Help"))
    # documents count per account: two uploads to one agent, one pair to the other make 3
    await container.add_document()(ME, shop.id, text("# One\n\nFirst.\n"))
    await container.add_document()(ME, shop.id, text("# Two\n\nSecond.\n"))
    first = await container.add_qa_pair()(ME, help_desk.id, QaPairInput(question="Opening hours?", answer="9 to 5."))
    before = stored(container)
    with pytest.raises(PlanLimitReached, match="3 document") as refused:
        await container.add_qa_pair()(ME, help_desk.id, QaPairInput(question="Returns?", answer="Within 30 days."))
    assert refused.value.code == "plan_limit_reached"  # the code of an upload over the limit
    assert [p.question for p in await container.list_qa_pairs()(ME, help_desk.id)] == ["Opening hours?"]
    assert stored(container) == before
    # editing a pair adds no document: it still goes through at the limit
    edited = await container.update_qa_pair()(
        ME, help_desk.id, first.id, QaPairInput(question="Opening hours?", answer="9 to 6.")
    )
    assert edited.answer == "9 to 6."


async def test_a_pair_beyond_the_plans_storage_is_refused_and_an_edit_counts_in_place(container: Container) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="Shop"))
    await container.add_document()(ME, agent.id, blob(MB - 1_000))  # 1,000 bytes left of the 1 MB
    pair = await container.add_qa_pair()(ME, agent.id, QaPairInput(question="Q?", answer="a" * 600))
    with pytest.raises(PlanLimitReached, match="1 MB"):  # 600 + 401 > 1,000
        await container.add_qa_pair()(ME, agent.id, QaPairInput(question="R?", answer="b" * 401))
    # an edit counts its new text in place of the old: 1,000 fits, 1,001 does not
    with pytest.raises(PlanLimitReached, match="1 MB"):
        await container.update_qa_pair()(ME, agent.id, pair.id, QaPairInput(question="Q?", answer="c" * 1_001))
    assert [p.answer for p in await container.list_qa_pairs()(ME, agent.id)] == ["a" * 600]
    edited = await container.update_qa_pair()(ME, agent.id, pair.id, QaPairInput(question="Q?", answer="d" * 1_000))
    assert edited.answer == "d" * 1_000


async def test_an_import_beyond_the_plan_writes_nothing_and_updates_at_the_limit_go_through(
    container: Container,
) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="Shop"))
    await container.add_document()(ME, agent.id, text("# One\n\nFirst.\n"))
    before = stored(container)
    # 1 document + 3 new pairs = 4 > 3: refused at the third row, the first two undone
    with pytest.raises(PlanLimitReached, match="3 document"):
        await container.import_qa_pairs()(ME, agent.id, b"question,answer\nQ1?,A1.\nQ2?,A2.\nQ3?,A3.\n")
    assert await container.list_qa_pairs()(ME, agent.id) == []
    assert stored(container) == before
    done = await container.import_qa_pairs()(ME, agent.id, b"question,answer\nQ1?,A1.\nQ2?,A2.\n")
    assert (done.created, done.updated) == (2, 0)
    # now at 3 of 3: rows that only change existing pairs add no document and go through
    again = await container.import_qa_pairs()(ME, agent.id, b"question,answer\nQ1?,A1 changed.\nQ2?,A2.\n")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)


async def test_a_web_sources_page_limit_comes_from_the_plan(container: Container) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="Shop"))
    url = "https://shop.example.com/"
    with pytest.raises(PlanLimitReached, match="Free plan allows 40 pages") as refused:
        await container.create_source()(ME, agent.id, SourceKind.WEBSITE, SourceSettings(url=url, max_pages=41))
    assert refused.value.code == "plan_limit_reached"
    assert await container.list_sources()(ME, agent.id) == []
    created = await container.create_source()(ME, agent.id, SourceKind.WEBSITE, SourceSettings(url=url))
    assert (created.source.settings.max_pages, created.page_limit) == (None, 40)  # the owner sees the limit
    with pytest.raises(PlanLimitReached):
        await container.update_source()(ME, agent.id, created.source.id, settings=SourceSettings(url=url, max_pages=41))
    await subscribe(container, "pro")  # above the server's 300: the plan's 900 holds
    upgraded = await container.update_source()(
        ME, agent.id, created.source.id, settings=SourceSettings(url=url, max_pages=800)
    )
    assert (upgraded.source.settings.max_pages, upgraded.page_limit) == (800, 800)
    with pytest.raises(PlanLimitReached, match="Pro plan allows 900 pages"):
        await container.update_source()(
            ME, agent.id, created.source.id, settings=SourceSettings(url=url, max_pages=901)
        )
    await subscribe(container, "free")  # a downgrade caps the 800 at each run, nothing is refused
    [listed] = await container.list_sources()(ME, agent.id)
    assert (listed.source.settings.max_pages, listed.page_limit) == (800, 40)
    got = await container.get_source()(ME, agent.id, created.source.id)
    assert got.page_limit == 40


async def test_without_plans_the_servers_setting_is_the_page_limit(tmp_path: Path) -> None:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path), source_max_pages=300))
    await start(container)
    try:
        agent = await container.create_agent()(ME, AgentSettings(name="Shop"))
        url = "https://shop.example.com/"
        with pytest.raises(InvalidInput) as refused:
            await container.create_source()(ME, agent.id, SourceKind.WEBSITE, SourceSettings(url=url, max_pages=301))
        assert (refused.value.code, refused.value.field) == ("invalid_source_settings", "settings.max_pages")
        created = await container.create_source()(ME, agent.id, SourceKind.WEBSITE, SourceSettings(url=url))
        assert created.page_limit == 300
        for i in range(5):  # and no plan limits on pairs
            await container.add_qa_pair()(ME, agent.id, QaPairInput(question=f"Q{i}?", answer="A."))
    finally:
        await stop(container)
