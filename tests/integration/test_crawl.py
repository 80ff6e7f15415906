"""Crawling the in-process test website (testkit/website.py, served on loopback, which the
settings allow explicitly) into an agent's knowledge base with the real crawler, extractor,
worker and ingestion: the count of every outcome for a website and for a sitemap source,
navigation and banners in no chunk, documents with their URLs and titles, robots.txt obeyed,
an unchanged re-crawl that embeds and writes nothing, a cancelled crawl that stops leaving only
whole documents, and loopback refused without the setting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import pytest
from dependency_injector import providers
from testkit.website import COOKIES, FOOTER, LONG_PAGE, NAVIGATION, Website, paragraph, served_website

from aioomi.container import container_in_memory, start, stop
from aioomi.domain.model.documents import DocumentStatus
from aioomi.domain.model.knowledge import StoredChunk
from aioomi.domain.model.sources import (
    FailureReason,
    RunCounts,
    RunStatus,
    SourceBusy,
    SourceKind,
    SourceSettings,
)
from aioomi.entrypoints.worker.jobs import build_worker
from aioomi.settings import Settings
from tests.unit.knowledge_support import Knowledge, new_agent, use_test_embedders


@pytest.fixture(scope="module")
def website() -> Iterator[Website]:
    with served_website() as site:
        yield site


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "aioomi"),
        log_format="console",
        url_fetch_timeout_s=3.0,
        document_max_bytes=100_000,
        agent_max_documents=1_000,
        **overrides,
    )  # type: ignore[arg-type]


@pytest.fixture
async def knowledge(tmp_path: Path) -> AsyncIterator[Knowledge]:
    container = container_in_memory(settings=settings(tmp_path, url_fetch_allowed_networks="127.0.0.1/32"))
    knowledge = use_test_embedders(container)
    await start(container)
    yield knowledge
    await stop(container)


async def crawl(knowledge: Knowledge) -> None:
    await build_worker(knowledge.container).run_until_idle()


async def chunks_of(knowledge: Knowledge, account_id: str, agent_id: str) -> dict[str, list[StoredChunk]]:
    container = knowledge.container
    async with container.uow()(account_id=account_id) as uow:
        documents = await uow.documents.list_all(account_id, agent_id)
    store = container.chunk_store()
    return {
        d.source_url or d.id: await store.list_document(
            account_id=account_id, agent_id=agent_id, document_id=f"{d.id}/{d.embedding_model}"
        )
        for d in documents
    }


async def test_a_website_crawl_counts_every_outcome_and_keeps_only_main_content(
    knowledge: Knowledge, website: Website
) -> None:
    principal, agent = await new_agent(knowledge.container)
    created = await knowledge.container.create_source()(
        principal, agent.id, SourceKind.WEBSITE, SourceSettings(url=f"{website.base}/", max_depth=3)
    )
    assert created.last_run is not None and created.last_run.status is RunStatus.QUEUED
    await crawl(knowledge)

    [run] = await knowledge.container.list_source_runs()(principal, agent.id, created.source.id)
    # 309 on-site addresses: home, about, 10 sections, 290 pages, and 7 extras on the home page
    # (the off-site link is not counted). 302 pages of content; the redirect /old/page-3 and the
    # canonical duplicate /docs/page-1?ref=promo stand for pages taken once (2 skipped);
    # 5 failures, each with its reason.
    assert run.status is RunStatus.SUCCEEDED, run
    assert run.counts == RunCounts(discovered=309, fetched=302, unchanged=0, updated=302, failed=5, skipped=2)
    reasons = {f.url.removeprefix(website.base): f.reason for f in run.failures}
    assert reasons == {
        "/private/secret": FailureReason.ROBOTS,
        "/files/price-list.bin": FailureReason.TYPE,
        "/slow": FailureReason.FETCH,
        "/big": FailureReason.SIZE,
        "/docs/missing": FailureReason.HTTP_STATUS,
    }
    assert website.hits["/private/secret"] == 0  # robots.txt obeyed: never requested
    assert run.duration_s is not None and run.finished_at is not None

    async with knowledge.container.uow()(account_id=principal.account_id) as uow:
        documents = await uow.documents.list_all(principal.account_id, agent.id)
    assert len(documents) == 302
    assert {d.status for d in documents} == {DocumentStatus.READY}
    assert {d.source_id for d in documents} == {created.source.id}
    by_url = {d.source_url.removeprefix(website.base): d for d in documents}
    assert "/docs/page-1?ref=promo" not in by_url and "/old/page-3" not in by_url
    assert by_url["/docs/page-3"].title == "Kettle 3"  # the title kept, the site name dropped
    assert by_url["/docs/page-1"].title == "Kettle 1"

    chunks = await chunks_of(knowledge, principal.account_id, agent.id)
    texts = [c.chunk.text for cs in chunks.values() for c in cs]
    assert sum(paragraph(7, 2) in t for t in texts) == 1
    for boilerplate in (NAVIGATION, COOKIES, FOOTER):
        assert not any(boilerplate in t for t in texts), boilerplate

    overview = await knowledge.container.get_source()(principal, agent.id, created.source.id)
    assert overview.documents == 302 and str(overview.freshness) == "fresh"
    assert overview.source.last_synced_at == run.finished_at


async def test_an_unchanged_site_crawled_again_embeds_and_writes_nothing(
    knowledge: Knowledge, website: Website
) -> None:
    principal, agent = await new_agent(knowledge.container)
    created = await knowledge.container.create_source()(
        principal, agent.id, SourceKind.SITEMAP, SourceSettings(url=f"{website.base}/sitemap.xml")
    )
    await crawl(knowledge)
    [first] = await knowledge.container.list_source_runs()(principal, agent.id, created.source.id)
    # the index, a plain and a gzipped child: 290 pages, the disallowed and the missing page,
    # and the promo address whose canonical page was already taken
    assert first.counts == RunCounts(discovered=293, fetched=290, updated=290, failed=2, skipped=1), first
    assert {f.reason for f in first.failures} == {FailureReason.ROBOTS, FailureReason.HTTP_STATUS}
    before = await chunks_of(knowledge, principal.account_id, agent.id)
    embedded = knowledge.embedder.inputs

    not_modified = website.not_modified
    again = await knowledge.container.sync_source()(principal, agent.id, created.source.id)
    await crawl(knowledge)
    assert website.not_modified - not_modified == 290  # conditional requests: every page answered 304
    second = await knowledge.container.get_source_run()(principal, agent.id, created.source.id, again.id)
    assert second.counts == RunCounts(discovered=293, fetched=290, unchanged=290, failed=2, skipped=1), second
    assert knowledge.embedder.inputs == embedded  # zero embedding requests
    assert await chunks_of(knowledge, principal.account_id, agent.id) == before  # no chunk written

    with pytest.raises(SourceBusy):  # one run at a time
        await knowledge.container.sync_source()(principal, agent.id, created.source.id)
        await knowledge.container.sync_source()(principal, agent.id, created.source.id)


async def test_a_cancelled_crawl_stops_and_leaves_only_whole_documents(knowledge: Knowledge, website: Website) -> None:
    principal, agent = await new_agent(knowledge.container)
    container = knowledge.container
    created = await container.create_source()(
        principal, agent.id, SourceKind.SITEMAP, SourceSettings(url=f"{website.base}/sitemap.xml")
    )
    run = created.last_run
    assert run is not None
    cancel = container.cancel_source_run()
    real_take = container.crawl_source.provides

    # The owner cancels once ten pages are stored: the crawl stops before its next batch.
    stored: list[str] = []

    class Cancelling(real_take):  # type: ignore[misc, valid-type]
        async def _store(self, source, documents, url, title, text):
            outcome = await super()._store(source, documents, url, title, text)
            stored.append(url)
            if len(stored) == 10:
                await cancel(principal, agent.id, created.source.id, run.id)
            return outcome

    container.crawl_source.override(providers.Factory(Cancelling, **container.crawl_source.kwargs))
    try:
        await crawl(knowledge)
    finally:
        container.crawl_source.reset_override()
    finished = await container.get_source_run()(principal, agent.id, created.source.id, run.id)
    assert finished.status is RunStatus.CANCELLED and finished.cancel_requested
    assert 10 <= finished.counts.updated <= 11  # the batch under way (two pages at most) completes
    async with container.uow()(account_id=principal.account_id) as uow:
        documents = await uow.documents.list_all(principal.account_id, agent.id)
    assert len(documents) == finished.counts.updated == len(stored)
    assert {d.status for d in documents} == {DocumentStatus.READY}  # each whole: ingested, searchable
    for d in documents:
        assert await container.blob_store().exists(d.blob_key)
    # a cancelled source is not "synced"
    assert (await container.get_source()(principal, agent.id, created.source.id)).source.last_synced_at is None


async def test_loopback_is_refused_unless_the_setting_allows_it(tmp_path: Path, website: Website) -> None:
    container = container_in_memory(settings=settings(tmp_path))  # no allowed networks: the default
    knowledge = use_test_embedders(container)
    await start(container)
    try:
        principal, agent = await new_agent(container)
        created = await container.create_source()(
            principal, agent.id, SourceKind.WEBSITE, SourceSettings(url=f"{website.base}/")
        )
        hits = sum(website.hits.values())
        await crawl(knowledge)
        [run] = await container.list_source_runs()(principal, agent.id, created.source.id)
        assert run.counts == RunCounts(discovered=1, failed=1)
        assert [f.reason for f in run.failures] == [FailureReason.NOT_ALLOWED]
        assert sum(website.hits.values()) == hits  # not one request reached the site
    finally:
        await stop(container)


def test_the_settings_keep_loopback_out_by_default() -> None:
    assert msgspec.structs.asdict(Settings())["url_fetch_allowed_networks"] == ""


async def test_a_changed_paragraph_re_embeds_its_chunks_and_a_page_gone_twice_is_removed(
    knowledge: Knowledge, website: Website
) -> None:
    container = knowledge.container
    principal, agent = await new_agent(container)
    created = await container.create_source()(
        principal,
        agent.id,
        SourceKind.SITEMAP,
        SourceSettings(url=f"{website.base}/sitemap.xml", include_paths=("/docs/page-2?",)),
    )  # pages 20 to 29
    await crawl(knowledge)
    source_id = created.source.id
    [first] = await container.list_source_runs()(principal, agent.id, source_id)
    assert first.counts.updated == 10, first
    long_url, gone_url = f"{website.base}/docs/page-{LONG_PAGE}", f"{website.base}/docs/page-27"
    before = await chunks_of(knowledge, principal.account_id, agent.id)
    assert len(before[long_url]) >= 3  # the long page spans several chunks
    embedded = knowledge.embedder.inputs

    async def sync() -> object:
        run = await container.sync_source()(principal, agent.id, source_id)
        await crawl(knowledge)
        return await container.get_source_run()(principal, agent.id, source_id, run.id)

    try:
        website.changes[f"/docs/page-{LONG_PAGE}"] = website.doc(LONG_PAGE).replace(
            paragraph(LONG_PAGE, 30), "The thirtieth paragraph now says the kettle comes in copper and in steel."
        )
        website.changes["/docs/page-27"] = None  # 404 from now on
        second = await sync()
        # every address of the sitemap is discovered; 283 are outside the pattern
        assert second.counts == RunCounts(discovered=293, fetched=9, unchanged=8, updated=1, failed=1, skipped=283)
        after = await chunks_of(knowledge, principal.account_id, agent.id)
        old_hashes = {c.chunk.content_hash for c in before[long_url]}
        changed = [c for c in after[long_url] if c.chunk.content_hash not in old_hashes]
        assert 1 <= len(changed) < len(after[long_url])
        assert knowledge.embedder.inputs - embedded == len(changed)  # only the changed chunks embedded
        assert any("copper" in c.chunk.text for c in changed)
        assert len({c.chunk.content_hash for c in after[long_url]}) == len(after[long_url])  # no duplicate
        assert gone_url in after  # gone once: kept

        third = await sync()
        assert third.counts == RunCounts(discovered=293, fetched=9, unchanged=9, failed=1, skipped=283, removed=1)
        final = await chunks_of(knowledge, principal.account_id, agent.id)
        assert gone_url not in final and len(final) == 9
        async with container.uow()(account_id=principal.account_id) as uow:
            assert gone_url not in await uow.sources.pages(principal.account_id, source_id)
        assert await container.chunk_store().count(account_id=principal.account_id, agent_id=agent.id) == sum(
            len(cs) for cs in final.values()
        )
    finally:
        website.changes.clear()


async def test_a_scheduled_source_syncs_once_per_period_and_shows_its_freshness(
    knowledge: Knowledge, website: Website
) -> None:
    from datetime import UTC, datetime

    from aioomi.adapters.memory.clock import ManualClock
    from aioomi.domain.model.sources import SyncSchedule

    container = knowledge.container
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    container.clock.override(providers.Object(clock))
    try:
        principal, agent = await new_agent(container)
        created = await container.create_source()(
            principal,
            agent.id,
            SourceKind.SITEMAP,
            SourceSettings(url=f"{website.base}/sitemap.xml", include_paths=("/docs/page-4?",)),
        )
        await crawl(knowledge)
        synced = (await container.get_source()(principal, agent.id, created.source.id)).source
        assert synced.last_synced_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC) and synced.next_sync_at is None
        daily = await container.update_source()(principal, agent.id, created.source.id, schedule=SyncSchedule.DAILY)
        assert daily.source.next_sync_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
        assert await container.sync_due_sources()() == 0  # not yet

        clock.advance(datetime(2026, 3, 3, 8, 0, tzinfo=UTC) - clock.now())
        assert await container.sync_due_sources()() == 1
        assert await container.sync_due_sources()() == 0  # one run per period
        await crawl(knowledge)
        runs = await container.list_source_runs()(principal, agent.id, created.source.id)
        assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
        assert runs[0].counts.unchanged == 10 and runs[0].counts.updated == 0
        overview = await container.get_source()(principal, agent.id, created.source.id)
        assert overview.source.next_sync_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
        clock.advance(datetime(2026, 3, 4, 9, 0, tzinfo=UTC) - clock.now())
        assert str((await container.get_source()(principal, agent.id, created.source.id)).freshness) == "fresh"
        clock.advance(datetime(2026, 3, 4, 9, 0, 1, tzinfo=UTC) - clock.now())
        assert str((await container.get_source()(principal, agent.id, created.source.id)).freshness) == "stale"
        off = await container.update_source()(principal, agent.id, created.source.id, schedule=SyncSchedule.OFF)
        assert off.source.next_sync_at is None
    finally:
        container.clock.reset_override()
