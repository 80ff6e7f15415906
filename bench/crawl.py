"""Crawl throughput: the ~300-page test website (tests/fakes/website.py, on loopback) crawled and
ingested into the Postgres store by one worker with a zero-latency embedder, in pages per
second, against a floor measured in the same run: fetching and extracting the same pages alone
(the same crawler and extractor, no store, no ingestion). Then a re-sync of the unchanged site:
its wall time and its embedding requests (the target is 0).

    .venv/bin/python bench/crawl.py

The machine is shared: read the figures with the load average printed beside them.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dependency_injector import providers  # noqa: E402

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog  # noqa: E402
from aioomi.adapters.web.crawler import HttpSiteFetcher  # noqa: E402
from aioomi.adapters.web.page_extractor import TrafilaturaPageExtractor  # noqa: E402
from aioomi.container import container_on_postgres, start, stop  # noqa: E402
from aioomi.domain.model.accounts import Principal  # noqa: E402
from aioomi.domain.model.agents import AgentSettings  # noqa: E402
from aioomi.domain.model.ids import new_id  # noqa: E402
from aioomi.domain.model.sources import PageFailed, SourceKind, SourceSettings  # noqa: E402
from aioomi.entrypoints.worker.jobs import build_worker  # noqa: E402
from aioomi.settings import Settings  # noqa: E402
from bench._common import embedded_database, say  # noqa: E402
from bench.ingestion import InstantEmbedder  # noqa: E402
from tests.contract.test_agent_store_contract import account  # noqa: E402
from tests.fakes.website import served_website  # noqa: E402


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def floor(base: str) -> tuple[int, float]:
    """Fetch and extract every page the sitemap lists, two at a time, with nothing stored."""
    fetcher = HttpSiteFetcher(product_url="https://aioomi.dev/crawler", allowed_networks=_loopback(),
                              timeout_s=3.0)
    extractor = TrafilaturaPageExtractor()
    started = time.perf_counter()
    pages = []
    pending = [f"{base}/sitemap.xml"]
    while pending:
        contents = await fetcher.fetch_sitemap(pending.pop())
        pending.extend(contents.sitemaps)
        pages.extend(contents.pages)
    taken = 0

    async def one(url: str) -> int:
        try:
            if not await fetcher.allowed_by_robots(url):
                return 0
            extractor.extract(await fetcher.fetch_page(url, max_bytes=100_000))
            return 1
        except PageFailed:
            return 0

    for i in range(0, len(pages), 2):
        taken += sum(await asyncio.gather(*(one(u) for u in pages[i:i + 2])))
    return taken, time.perf_counter() - started


def _loopback():  # noqa: ANN202
    from aioomi.adapters.web.url_fetcher import parse_networks
    return parse_networks("127.0.0.1/32")


async def main() -> dict[str, object]:
    embedder = InstantEmbedder()
    with served_website() as website:
        say(f"floor: fetching and extracting the sitemap's pages alone (load {load()})")
        floor_pages, floor_s = await floor(website.base)
        say(f"floor: {floor_pages} pages in {floor_s:.2f} s = {floor_pages / floor_s:.1f} pages/s")
        async with embedded_database() as (_, conninfo):
            folder = Path(tempfile.mkdtemp(prefix="aioomi-bench-crawl-"))
            settings = Settings(data_dir=str(folder), log_level="warning", log_format="console",
                                url_fetch_allowed_networks="127.0.0.1/32", url_fetch_timeout_s=3.0,
                                document_max_bytes=100_000, agent_max_documents=1_000, worker_concurrency=1)
            container = container_on_postgres(settings=settings, conninfo=conninfo)
            container.embedders.override(providers.Object(StaticEmbedderCatalog([embedder])))
            container.embedding_model.override(providers.Object(embedder.model))
            await start(container)
            try:
                account_id = new_id("acct")
                async with container.uow()(account_id=None) as uow:
                    await uow.accounts.add(account(account_id))
                    await uow.commit()
                principal = Principal(account_id=account_id)
                agent = await container.create_agent()(principal, AgentSettings(name="Bench"))
                created = await container.create_source()(principal, agent.id, SourceKind.SITEMAP,
                                                          SourceSettings(url=f"{website.base}/sitemap.xml"))
                worker = build_worker(container)
                say(f"crawl and ingest, one worker (load {load()})")
                started = time.perf_counter()
                await worker.run_until_idle()
                crawl_s = time.perf_counter() - started
                [run] = await container.list_source_runs()(principal, agent.id, created.source.id)
                pages = run.counts.updated
                say(f"crawl: {pages} pages in {crawl_s:.2f} s = {pages / crawl_s:.1f} pages/s; "
                    f"{len(embedder.requests)} embedding requests")
                before = len(embedder.requests)
                say(f"re-sync of the unchanged site (load {load()})")
                started = time.perf_counter()
                await container.sync_source()(principal, agent.id, created.source.id)
                await worker.run_until_idle()
                resync_s = time.perf_counter() - started
                runs = await container.list_source_runs()(principal, agent.id, created.source.id)
                say(f"re-sync: {runs[0].counts.unchanged} unchanged in {resync_s:.2f} s; "
                    f"{len(embedder.requests) - before} embedding requests")
            finally:
                await stop(container)
    return {
        "pages": pages, "crawl_s": round(crawl_s, 2), "pages_per_s": round(pages / crawl_s, 1),
        "floor_pages_per_s": round(floor_pages / floor_s, 1), "ratio": round((floor_pages / floor_s) / (pages / crawl_s), 2),
        "resync_s": round(resync_s, 2), "resync_unchanged": runs[0].counts.unchanged,
        "resync_embedding_requests": len(embedder.requests) - before, "load_avg": load(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
