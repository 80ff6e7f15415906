"""A crawl under the account's plan, on the memory container with the in-process test website:
the plan's page limit caps a run; crawled and re-synced pages go through the plan's document
and storage limits as uploads do. A crawl that reaches a limit stores nothing past it, fetches no
new page, counts every page it leaves as skipped for the plan (``plan_limited``) and ends
``succeeded`` with the reason, judging no page gone; the pages it already holds are still
re-synced. Over HTTP on Postgres: tests/integration/test_knowledge_plan_limits_http.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from testkit.website import PAGES, Website, paragraph, served_website

from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.billing import BillingAccount, SubscriptionStatus
from aioomi.domain.model.documents import DocumentSource, DocumentUpload
from aioomi.domain.model.sources import RunCounts, RunStatus, SourceKind, SourceSettings
from aioomi.settings import Settings
from tests.unit.knowledge_support import Knowledge, new_agent, use_test_embedders

MB = 1024 * 1024
# The sitemap lists 293 addresses, in this order: /docs/page-0 … page-149, /private/secret,
# /docs/missing (first child), /docs/page-150 … page-289, the promo address of page 1 (gzipped child).
LISTED = PAGES + 3
PLANS = [
    {"id": "free", "name": "Free", "max_documents": 25, "max_storage_mb": 1, "max_source_pages": 15},
    {
        "id": "pro",
        "name": "Pro",
        "price_id": "price_pro",
        "max_documents": 25,
        "max_storage_mb": 1,
        "max_source_pages": 500,
    },
]


@pytest.fixture(scope="module")
def website() -> Iterator[Website]:
    with served_website() as site:
        yield site


@pytest.fixture
async def knowledge(tmp_path: Path) -> AsyncIterator[Knowledge]:
    container = container_in_memory(
        settings=Settings(
            data_dir=str(tmp_path / "aioomi"),
            log_format="console",
            url_fetch_timeout_s=3.0,
            document_max_bytes=2_000_000,
            agent_max_documents=1_000,
            url_fetch_allowed_networks="127.0.0.1/32",
            billing_plans=json.dumps(PLANS),
            stripe_secret_key="sk_test_x",
        )
    )
    knowledge = use_test_embedders(container)
    await start(container)
    yield knowledge
    await stop(container)


async def subscribe(container: Container, account_id: str, plan_id: str) -> None:
    async with container.uow()(account_id=account_id) as uow:
        await uow.billing.save_account(
            BillingAccount(
                account_id=account_id, customer_id="cus_1", plan_id=plan_id, status=SubscriptionStatus.ACTIVE
            )
        )
        await uow.commit()


async def test_the_plans_page_limit_caps_a_crawl(knowledge: Knowledge, website: Website) -> None:
    container = knowledge.container
    principal, agent = await new_agent(container)
    created = await container.create_source()(
        principal, agent.id, SourceKind.SITEMAP, SourceSettings(url=f"{website.base}/sitemap.xml")
    )
    assert created.page_limit == 15
    await knowledge.run_worker()
    [run] = await container.list_source_runs()(principal, agent.id, created.source.id)
    # pages 0 to 14 requested; the other 278 listed addresses skipped for the page limit (not
    # for documents or storage: 15 pages fit both)
    assert run.counts == RunCounts(discovered=LISTED, fetched=15, updated=15, skipped=LISTED - 15), run
    assert run.status is RunStatus.SUCCEEDED and run.error is None


async def test_a_crawl_stops_taking_new_pages_at_the_plans_document_and_storage_limits(
    knowledge: Knowledge, website: Website
) -> None:
    container = knowledge.container
    principal, agent = await new_agent(container)
    # one upload first: the plan's 25 documents and 1 MB are per account
    filler = DocumentUpload(
        data=b"f" * (MB - 30_000),
        title="Filler",
        filename="f.txt",
        content_type="text/plain",
        source=DocumentSource.UPLOAD,
    )
    await container.add_document()(principal, agent.id, filler)
    await subscribe(container, principal.account_id, "pro")  # 500 pages per source: the documents limit binds
    created = await container.create_source()(
        principal, agent.id, SourceKind.SITEMAP, SourceSettings(url=f"{website.base}/sitemap.xml")
    )
    source_id = created.source.id
    assert created.page_limit == 500
    await knowledge.run_worker()
    [first] = await container.list_source_runs()(principal, agent.id, source_id)
    # pages 0 to 23 stored (24 + the upload = 25 documents); page 24 refused, page 25 (fetched
    # with it) and the 267 addresses after them left without a request: 269 for the plan
    assert first.counts == RunCounts(discovered=LISTED, fetched=24, updated=24, skipped=269, plan_limited=269), first
    assert first.status is RunStatus.SUCCEEDED
    assert first.error is not None and "plan's limit" in first.error and "25 document" in first.error
    assert website.hits["/docs/page-26"] == 0 and website.hits["/private/secret"] == 0
    async with container.uow()(account_id=principal.account_id) as uow:
        documents = await uow.documents.list_all(principal.account_id, agent.id)
        totals = await uow.documents.account_totals(principal.account_id)
    assert len(documents) == 25
    assert sorted(d.source_url for d in documents if d.source_url) == sorted(
        f"{website.base}/docs/page-{n}" for n in range(24)
    )
    page_3 = next(d for d in documents if d.source_url == f"{website.base}/docs/page-3")

    # a re-sync: page 3 grows past the storage left; it keeps its old version, new pages stay
    # out, and the pages the source holds are still re-synced after it
    headroom = MB - totals.stored_bytes
    longer = website.doc(3) + "".join(f"<p>{paragraph(3, k)}</p>" for k in range(100, 100 + headroom // 150 + 10))
    try:
        website.changes["/docs/page-3"] = longer
        website.changes["/docs/page-5"] = None  # 404: in a complete run, gone once
        again = await container.sync_source()(principal, agent.id, source_id)
        await knowledge.run_worker()
    finally:
        website.changes.clear()
    second = await container.get_source_run()(principal, agent.id, source_id, again.id)
    # 22 held pages unchanged (answered 304), page 5 failed (404); page 3 refused; pages 24 to
    # 289 and the other three addresses never requested: 1 + 266 + 3 = 270 for the plan
    assert second.counts == RunCounts(
        discovered=LISTED, fetched=22, unchanged=22, failed=1, skipped=270, plan_limited=270
    ), second
    assert second.error is not None and "1 MB" in second.error
    async with container.uow()(account_id=principal.account_id) as uow:
        kept = await uow.documents.get(principal.account_id, page_3.id)
        pages = await uow.sources.pages(principal.account_id, source_id)
        assert (await uow.documents.account_totals(principal.account_id)).stored_bytes == totals.stored_bytes
    assert kept is not None and (kept.version, kept.content_hash) == (page_3.version, page_3.content_hash)
    assert {p.missing_runs for p in pages.values()} == {0}  # a run stopped by the plan judges nothing gone, not page 5
