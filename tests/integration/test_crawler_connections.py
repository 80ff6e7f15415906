"""The crawler keeps its connections for a whole run: one HTTP client per host, reused page
after page (not one client and one connection per page), while every request still passes the
address guard; with the in-process test website on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from testkit.website import PAGES, Website, served_website

from aioomi.adapters.web.crawler import HttpSiteFetcher
from aioomi.adapters.web.url_fetcher import parse_networks
from aioomi.container import container_in_memory, start, stop
from aioomi.domain.model.sources import FailureReason, PageFailed, RunCounts, SourceKind, SourceSettings
from aioomi.settings import Settings
from tests.unit.knowledge_support import Knowledge, new_agent, use_test_embedders


@pytest.fixture
def website() -> Iterator[Website]:  # one per test: its connections are counted from zero
    with served_website() as site:
        yield site


@pytest.fixture
async def knowledge(tmp_path: Path) -> AsyncIterator[Knowledge]:
    container = container_in_memory(
        settings=Settings(
            data_dir=str(tmp_path / "aioomi"),
            log_format="console",
            url_fetch_timeout_s=3.0,
            document_max_bytes=100_000,
            agent_max_documents=1_000,
            url_fetch_allowed_networks="127.0.0.1/32",
        )
    )
    knowledge = use_test_embedders(container)
    await start(container)
    yield knowledge
    await stop(container)


async def test_a_crawl_reuses_its_connections_to_the_host(knowledge: Knowledge, website: Website) -> None:
    container = knowledge.container
    principal, agent = await new_agent(container)
    created = await container.create_source()(
        principal, agent.id, SourceKind.SITEMAP, SourceSettings(url=f"{website.base}/sitemap.xml")
    )
    await knowledge.run_worker()
    [run] = await container.list_source_runs()(principal, agent.id, created.source.id)
    assert run.counts == RunCounts(discovered=PAGES + 3, fetched=PAGES, updated=PAGES, failed=2, skipped=1), run
    requests = sum(website.hits.values())
    # robots.txt, 3 sitemaps, 290 pages, the promo address of page 1 and the missing page (404)
    assert requests == 1 + 3 + PAGES + 1 + 1
    # at most two requests at once to a host, each connection kept between pages (a 404's small
    # body is read so its connection stays usable): two connections would do; a client per
    # page would have opened one per request
    assert len(website.connections) <= 2, len(website.connections)
    assert container.site_fetcher().clients_opened == 1  # one host, one client for the run


async def test_every_request_of_a_run_still_passes_the_address_guard(website: Website) -> None:
    fetcher = HttpSiteFetcher(
        product_url="https://aioomi.dev/crawler", allowed_networks=parse_networks("127.0.0.1/32"), timeout_s=3.0
    )
    async with fetcher.session() as site:
        page = await site.fetch_page(f"{website.base}/docs/page-1", max_bytes=100_000)
        assert page.data and website.hits["/docs/page-1"] == 1
        # the run's client now holds a live connection to the site; the operator's allow-list
        # no longer lets loopback through: the next request on that client is refused before
        # it leaves, not sent down the open connection
        fetcher._guard._allowed = ()
        with pytest.raises(PageFailed) as refused:
            await site.fetch_page(f"{website.base}/docs/page-2", max_bytes=100_000)
        assert refused.value.reason is FailureReason.NOT_ALLOWED
        assert website.hits["/docs/page-2"] == 0
    assert len(website.connections) == 1
