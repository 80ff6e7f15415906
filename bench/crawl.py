"""Crawl throughput: the ~300-page test website (testkit/website.py, on loopback) crawled and
ingested into the Postgres store by one worker with a zero-latency embedder, in pages per
second, against a floor measured in the same run: fetching and extracting the same pages alone
(the same crawler and extractor, no store, no ingestion). Then a re-sync of the unchanged site:
its wall time and its embedding requests (the target is 0).

Every figure is taken twice in the same run, interleaved: "before", with a new HTTP client (and
connection) for every page as the crawler used to, and "after", with one client per host for the
run; also fetching alone (no extraction), where the connections' cost shows undiluted.

    .venv/bin/python bench/crawl.py

The machine is shared: read the figures with the load average printed beside them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import embedded_database, say
from bench.ingestion import InstantEmbedder
from dependency_injector import providers
from testkit.builders import account
from testkit.website import served_website

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.adapters.web.crawler import HttpSiteFetcher
from aioomi.adapters.web.page_extractor import TrafilaturaPageExtractor
from aioomi.container import Container, container_on_postgres, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.sources import PageFailed, SourceKind, SourceSettings
from aioomi.entrypoints.worker.jobs import build_worker
from aioomi.settings import Settings


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class ClientPerPage(HttpSiteFetcher):
    """The crawler as it was: no run session, so every page opens and closes a client (and a
    connection) of its own. Measured beside the session in the same run."""

    def session(self):
        return contextlib.nullcontext(self)


def fetcher(per_page: bool) -> HttpSiteFetcher:
    kind = ClientPerPage if per_page else HttpSiteFetcher
    return kind(product_url="https://aioomi.dev/crawler", allowed_networks=_loopback(), timeout_s=3.0)


async def floor(base: str, per_page: bool, extract: bool = True) -> tuple[int, float]:
    """Fetch (and extract) every page the sitemap lists, two at a time, with nothing stored."""
    extractor = TrafilaturaPageExtractor()
    started = time.perf_counter()
    async with fetcher(per_page).session() as site:
        pages = []
        pending = [f"{base}/sitemap.xml"]
        while pending:
            contents = await site.fetch_sitemap(pending.pop())
            pending.extend(contents.sitemaps)
            pages.extend(contents.pages)
        taken = 0

        async def one(url: str) -> int:
            try:
                if not await site.allowed_by_robots(url):
                    return 0
                page = await site.fetch_page(url, max_bytes=100_000)
                if extract:
                    extractor.extract(page)
                return 1
            except PageFailed:
                return 0

        for i in range(0, len(pages), 2):
            taken += sum(await asyncio.gather(*(one(u) for u in pages[i : i + 2])))
    return taken, time.perf_counter() - started


def _loopback():
    from aioomi.adapters.web.url_fetcher import parse_networks

    return parse_networks("127.0.0.1/32")


async def crawl_and_resync(container: Container, embedder: InstantEmbedder, base: str, label: str) -> dict[str, float]:
    """A fresh account's sitemap source crawled and ingested by one worker, then re-synced."""
    account_id = new_id("acct")
    async with container.uow()(account_id=None) as uow:
        await uow.accounts.add(account(account_id=account_id))
        await uow.commit()
    principal = Principal.own(account_id=account_id)
    agent = await container.create_agent()(principal, AgentSettings(name="Bench"))
    created = await container.create_source()(
        principal, agent.id, SourceKind.SITEMAP, SourceSettings(url=f"{base}/sitemap.xml")
    )
    worker = build_worker(container)
    crawl_load = load()
    say(f"{label}: crawl and ingest, one worker (load {crawl_load})")
    before = len(embedder.requests)
    started = time.perf_counter()
    await worker.run_until_idle()
    crawl_s = time.perf_counter() - started
    [run] = await container.list_source_runs()(principal, agent.id, created.source.id)
    pages = run.counts.updated
    say(
        f"{label}: crawl: {pages} pages in {crawl_s:.2f} s = {pages / crawl_s:.1f} pages/s; "
        f"{len(embedder.requests) - before} embedding requests"
    )
    before = len(embedder.requests)
    resync_load = load()
    say(f"{label}: re-sync of the unchanged site (load {resync_load})")
    started = time.perf_counter()
    await container.sync_source()(principal, agent.id, created.source.id)
    await worker.run_until_idle()
    resync_s = time.perf_counter() - started
    runs = await container.list_source_runs()(principal, agent.id, created.source.id)
    say(
        f"{label}: re-sync: {runs[0].counts.unchanged} unchanged in {resync_s:.2f} s; "
        f"{len(embedder.requests) - before} embedding requests"
    )
    return {
        "pages": pages,
        "crawl_s": crawl_s,
        "pages_per_s": pages / crawl_s,
        "resync_s": resync_s,
        "resync_unchanged": runs[0].counts.unchanged,
        "resync_embedding_requests": len(embedder.requests) - before,
        "crawl_load": crawl_load,
        "resync_load": resync_load,
    }


BEFORE, AFTER = "before (a client per page)", "after (a client per host per run)"


async def main() -> dict[str, object]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    embedder = InstantEmbedder()
    with served_website() as website:
        # interleaved, three rounds each, so a change of the machine's load hits both alike
        floors: dict[str, list[tuple[float, str]]] = {BEFORE: [], AFTER: []}
        fetches: dict[str, list[tuple[float, str]]] = {BEFORE: [], AFTER: []}
        for _ in range(3):
            for label in (BEFORE, AFTER, AFTER, BEFORE):
                at = load()
                taken, seconds = await floor(website.base, label == BEFORE, extract=False)
                fetches[label].append((taken / seconds, at))
                say(
                    f"fetch only, {label}: {taken} pages in {seconds:.2f} s = {taken / seconds:.1f} pages/s (load {at})"
                )
            for label in (BEFORE, AFTER):
                at = load()
                taken, seconds = await floor(website.base, label == BEFORE)
                floors[label].append((taken / seconds, at))
                say(
                    f"floor {label}: {taken} pages fetched and extracted alone in {seconds:.2f} s = "
                    f"{taken / seconds:.1f} pages/s (load {at})"
                )
        async with embedded_database() as (_, conninfo):
            folder = Path(tempfile.mkdtemp(prefix="aioomi-bench-crawl-"))
            settings = Settings(
                data_dir=str(folder),
                log_level="warning",
                log_format="console",
                url_fetch_allowed_networks="127.0.0.1/32",
                url_fetch_timeout_s=3.0,
                document_max_bytes=100_000,
                agent_max_documents=1_000,
                worker_concurrency=1,
            )
            container = container_on_postgres(settings=settings, conninfo=conninfo)
            container.embedders.override(providers.Object(StaticEmbedderCatalog([embedder])))
            container.embedding_model.override(providers.Object(embedder.model))
            await start(container)
            runs: dict[str, list[dict[str, float]]] = {BEFORE: [], AFTER: []}
            try:
                await crawl_and_resync(container, embedder, website.base, "warm-up (not counted)")
                for label in (BEFORE, AFTER, AFTER, BEFORE):  # ABBA: neither goes first or last only
                    if label == BEFORE:
                        container.site_fetcher.override(providers.Object(fetcher(per_page=True)))
                    runs[label].append(await crawl_and_resync(container, embedder, website.base, label))
                    container.site_fetcher.reset_override()
            finally:
                await stop(container)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    def loads(label: str, key: str) -> list[str]:
        return [str(r[key]) for r in runs[label]]

    new, old = runs[AFTER], runs[BEFORE]
    new_rate, old_rate = mean([r["pages_per_s"] for r in new]), mean([r["pages_per_s"] for r in old])
    floor_new, floor_old = mean([f for f, _ in floors[AFTER]]), mean([f for f, _ in floors[BEFORE]])
    fetch_new, fetch_old = mean([f for f, _ in fetches[AFTER]]), mean([f for f, _ in fetches[BEFORE]])
    return {
        "pages": new[0]["pages"],
        "pages_per_s": round(new_rate, 1),
        "crawl_loads": loads(AFTER, "crawl_load"),
        "before_pages_per_s": round(old_rate, 1),
        "before_crawl_loads": loads(BEFORE, "crawl_load"),
        "crawl_speedup": round(new_rate / old_rate, 2),
        "floor_pages_per_s": round(floor_new, 1),
        "floor_loads": [at for _, at in floors[AFTER]],
        "before_floor_pages_per_s": round(floor_old, 1),
        "before_floor_loads": [at for _, at in floors[BEFORE]],
        "floor_speedup": round(floor_new / floor_old, 2),
        "ratio": round(floor_new / new_rate, 2),
        "fetch_pages_per_s": round(fetch_new, 1),
        "before_fetch_pages_per_s": round(fetch_old, 1),
        "fetch_speedup": round(fetch_new / fetch_old, 2),
        "fetch_loads": [at for _, at in fetches[AFTER]],
        "before_fetch_loads": [at for _, at in fetches[BEFORE]],
        "resync_s": round(mean([r["resync_s"] for r in new]), 2),
        "resync_loads": loads(AFTER, "resync_load"),
        "before_resync_s": round(mean([r["resync_s"] for r in old]), 2),
        "resync_unchanged": new[0]["resync_unchanged"],
        "resync_embedding_requests": max(r["resync_embedding_requests"] for r in new + old),
        "load_avg": load(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
