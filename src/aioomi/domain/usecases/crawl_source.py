"""CrawlSource: one sync run of a website or sitemap source (the worker's ``sources.sync`` job)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from urllib.parse import urlsplit

import msgspec

from aioomi.domain.model.billing import Plan, PlanLimitReached
from aioomi.domain.model.documents import (
    DOCUMENT_ID_PREFIX,
    PURGE_DOCUMENT,
    Document,
    DocumentLimits,
    DocumentSource,
    DocumentStatus,
    agent_chars_problem,
    bytes_hash,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.job_payloads import job_of, purge_document_payload
from aioomi.domain.model.sources import (
    ACTIVE_RUN_STATUSES,
    GONE_AFTER_RUNS,
    MAX_RECORDED_FAILURES,
    MAX_SITEMAPS,
    MAX_STORED_LINKS,
    PARALLEL_FETCHES_PER_HOST,
    FailureReason,
    PageFailed,
    RunCounts,
    RunFailure,
    RunStatus,
    Source,
    SourceKind,
    SourceLimits,
    SourcePage,
    SourceRun,
    WebPage,
    crawl_page_limit,
    next_sync,
    normalise_url,
    on_site,
    path_allowed,
)
from aioomi.domain.model.webhook_payloads import SOURCE_SYNCED, source_synced
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.knowledge.purge_document_data import PurgeDocumentData
from aioomi.domain.usecases.knowledge.support import blob_key
from aioomi.domain.usecases.plan_quota import lock_document_quota, plan_of
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory
from aioomi.ports.web_crawling import PageExtractor, SiteFetcher


class _Stopped(Exception):
    """The run was cancelled, or its source deleted, while it ran."""


class _Crawl:
    """The state of one run: what was seen, what was taken, and the counts."""

    def __init__(self, source: Source, site: SiteFetcher, plan: Plan | None, max_pages: int) -> None:
        self.source = source
        self.site = site  # the run's session: connections kept per host until the run ends
        self.settings = source.settings
        self.plan = plan
        self.max_pages = max_pages
        self.limited: str | None = None  # why the plan stopped the run from taking new pages
        self.frontier: deque[tuple[str, int]] = deque()
        self.seen: set[str] = set()
        self.taken: set[str] = set()
        self.texts: set[str] = set()
        self.attempted = 0
        self.counts = RunCounts()
        self.failures: list[RunFailure] = []
        self.pages: dict[str, SourcePage] = {}
        self.gone: set[str] = set()

    def count(self, **deltas: int) -> None:
        self.counts = msgspec.structs.replace(
            self.counts, **{k: getattr(self.counts, k) + v for k, v in deltas.items()}
        )

    def plan_limited(self) -> None:
        self.count(skipped=1, plan_limited=1)

    def fail(self, url: str, reason: FailureReason, detail: str) -> None:
        self.count(failed=1)
        if len(self.failures) < MAX_RECORDED_FAILURES:
            self.failures.append(RunFailure(url=url, reason=reason, detail=detail[:500]))

    def discover(self, url: str, depth: int) -> None:
        """Queue an address found in a page or a sitemap, once; off-site addresses are ignored,
        on-site ones outside the patterns or the depth are counted as skipped."""
        assert self.settings.url is not None
        if not on_site(url, self.settings.url, self.settings.include_subdomains):
            return
        url = normalise_url(url)
        if url in self.seen:
            return
        self.seen.add(url)
        self.count(discovered=1)
        if not path_allowed(urlsplit(url).path, self.settings) or depth > self.settings.max_depth:
            self.count(skipped=1)
            return
        self.frontier.append((url, depth))


class CrawlSource:
    """Crawl a website or sitemap source and make each page a document.

    Rules:
    - a website is explored from its start page by links, breadth first, on the same host (its
      subdomains when asked), up to ``max_depth`` links away; a sitemap source takes the pages
      its sitemap lists (indexes and gzipped sitemaps followed, at most 50 sitemaps) and follows
      no links;
    - a page is taken when its path is within the include patterns and no exclude pattern, and
      while fewer than the run's page limit were requested (the source's ``max_pages`` capped
      by the plan's ``max_source_pages`` in force now, or the server's ceiling without a plan;
      :func:`~aioomi.domain.model.sources.crawl_page_limit`); others are counted ``skipped``;
    - every new or changed page goes through the plan's document and storage limits exactly as
      an upload does (:func:`~aioomi.domain.model.billing.enforce_document_limits`, counted
      under the per-account lock); a page over a limit is not stored: from then on the run
      fetches no new page (pages the source already holds are still re-synced), every page it
      leaves is ``skipped`` and counted ``plan_limited``, and the run ends ``succeeded`` with
      the plan's reason in its ``error``; such a run judges no page gone;
    - ``robots.txt`` is obeyed for every page and sitemap (reason ``robots``); failures are
      recorded with their reason (``type``, ``size``, ``http_status``, ``not_allowed``,
      ``fetch``, ``empty``);
    - a redirect to a page already taken, a ``rel=canonical`` naming another page that is (or
      will be) taken, and a page whose text equals one already taken count as ``skipped``: one
      document per page;
    - each page becomes a document of the source with its URL and title; its original is the
      extracted main content as Markdown; a page whose text is unchanged since the last run is
      ``unchanged`` and not processed again; a new or changed page is ``updated``: stored and
      its ingestion job enqueued in one unit of work, so no document is ever half-written;
    - the run's counts are saved after every batch of pages; a cancellation (or the source's
      deletion) stops the crawl before the next batch, keeping the pages already complete;
    - conditional requests (``If-None-Match``, ``If-Modified-Since``) with the validators of
      the last run: a ``304`` is ``unchanged`` (a website's crawl follows the links the page had);
    - after a complete run, a page held but answered 404/410, or no longer listed or linked,
      counts as gone; gone on two consecutive complete runs it is ``removed`` with its document,
      chunks and files (a cancelled run judges nothing);
    - at the end the run is ``succeeded`` with its duration, and the source's
      ``last_synced_at`` and ``next_sync_at`` are set.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        blobs: BlobStore,
        site: SiteFetcher,
        extractor: PageExtractor,
        limits: DocumentLimits,
        purge: PurgeDocumentData,
        plans: PlanLimits | None = None,
        source_limits: SourceLimits | None = None,
    ) -> None:
        self._plans = plans
        self._source_limits = source_limits or SourceLimits()
        self._purge = purge
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._site = site
        self._extractor = extractor
        self._limits = limits

    async def __call__(self, account_id: str, source_id: str, run_id: str) -> RunStatus | None:
        started = await self._start(account_id, source_id, run_id)
        if started is None:
            return None
        source, run, documents, pages = started
        plan = await plan_of(self._plans, account_id)
        async with self._site.session() as site:
            return await self._crawl(
                _Crawl(source, site, plan, crawl_page_limit(source.settings, plan, self._source_limits)),
                run,
                documents,
                pages,
            )

    async def _crawl(
        self, crawl: _Crawl, run: SourceRun, documents: dict[str, Document], pages: dict[str, SourcePage]
    ) -> RunStatus | None:
        crawl.pages = pages
        try:
            await self._seed(crawl)
            while crawl.frontier:
                batch = [crawl.frontier.popleft() for _ in range(min(PARALLEL_FETCHES_PER_HOST, len(crawl.frontier)))]
                fetched = await asyncio.gather(*(self._fetch(crawl, documents, url) for url, _ in batch))
                for (url, depth), page in zip(batch, fetched, strict=True):
                    if page is not None:
                        await self._take(crawl, run, documents, url, depth, page)
                await self._checkpoint(run, crawl)
            if crawl.limited is None:
                await self._sweep_gone(crawl)
        except _Stopped:
            return await self._finish(run, crawl, RunStatus.CANCELLED)
        return await self._finish(run, crawl, RunStatus.SUCCEEDED)

    async def _start(
        self, account_id: str, source_id: str, run_id: str
    ) -> tuple[Source, SourceRun, dict[str, Document], dict[str, SourcePage]] | None:
        async with self._uow(account_id=account_id) as uow:
            run = await uow.sources.get_run(account_id, run_id)
            source = await uow.sources.get(account_id, source_id, for_update=True)
            if run is None or source is None or run.status not in ACTIVE_RUN_STATUSES:
                return None
            if run.cancel_requested:
                run = msgspec.structs.replace(run, status=RunStatus.CANCELLED, finished_at=self._clock.now())
                await uow.sources.update_run(run)
                await uow.commit()
                return None
            # A restarted job (its worker died) starts the crawl again from the beginning.
            run = msgspec.structs.replace(
                run,
                status=RunStatus.RUNNING,
                counts=RunCounts(),
                failures=(),
                started_at=run.started_at or self._clock.now(),
            )
            await uow.sources.update_run(run)
            documents = {
                d.source_url: d
                for d in await uow.documents.list_all(account_id, source.agent_id)
                if d.source_id == source.id and d.source_url
            }
            pages = await uow.sources.pages(account_id, source.id)
            await uow.commit()
        return source, run, documents, pages

    async def _seed(self, crawl: _Crawl) -> None:
        start = crawl.settings.url
        assert start is not None
        if crawl.source.kind is not SourceKind.SITEMAP:
            crawl.discover(start, 0)
            return
        pending, read = deque([start]), 0
        while pending and read < MAX_SITEMAPS:
            sitemap = pending.popleft()
            read += 1
            try:
                if not await crawl.site.allowed_by_robots(sitemap):
                    raise PageFailed(FailureReason.ROBOTS, "robots.txt does not allow the crawler here.")
                contents = await crawl.site.fetch_sitemap(sitemap)
            except PageFailed as failure:
                crawl.count(discovered=1)
                crawl.fail(sitemap, failure.reason, f"Sitemap: {failure.detail}")
                continue
            pending.extend(contents.sitemaps)
            for page in contents.pages:
                crawl.discover(page, 0)

    async def _fetch(self, crawl: _Crawl, documents: dict[str, Document], url: str) -> WebPage | None:
        if url in crawl.taken:
            crawl.count(skipped=1)  # a canonical address another page already stood for
            return None
        if crawl.limited is not None and url not in documents:
            crawl.plan_limited()  # a new page: the plan holds no more
            return None
        if crawl.attempted >= crawl.max_pages:
            crawl.count(skipped=1)
            return None
        crawl.attempted += 1
        try:
            if not await crawl.site.allowed_by_robots(url):
                raise PageFailed(FailureReason.ROBOTS, "robots.txt does not allow the crawler here.")
            known = crawl.pages.get(url)
            return await crawl.site.fetch_page(
                url,
                max_bytes=self._limits.max_file_bytes,
                etag=known.etag if known else None,
                last_modified=known.last_modified if known else None,
            )
        except PageFailed as failure:
            if failure.status in (404, 410):
                crawl.gone.add(url)
            crawl.fail(url, failure.reason, failure.detail)
            return None

    async def _take(
        self, crawl: _Crawl, run: SourceRun, documents: dict[str, Document], url: str, depth: int, page: WebPage
    ) -> None:
        if page.not_modified:  # 304: the page we hold is current; its links are followed again
            known = crawl.pages.get(url)
            if known is None:
                crawl.fail(url, FailureReason.HTTP_STATUS, "HTTP 304 to an unconditional request")
                return
            crawl.taken.add(url)
            crawl.count(fetched=1, unchanged=1)
            if crawl.source.kind is SourceKind.WEBSITE:
                for link in known.links:
                    crawl.discover(link, depth + 1)
            await self._remember(
                crawl, msgspec.structs.replace(known, etag=page.etag, last_modified=page.last_modified, missing_runs=0)
            )
            return
        final = normalise_url(page.url)
        if final != url:  # redirected
            settings = crawl.settings
            assert settings.url is not None
            if (
                final in crawl.taken
                or not on_site(final, settings.url, settings.include_subdomains)
                or not path_allowed(urlsplit(final).path, settings)
            ):
                crawl.count(skipped=1)
                return
            crawl.seen.add(final)
        try:
            extracted = self._extractor.extract(page)
        except PageFailed as failure:
            crawl.fail(url, failure.reason, failure.detail)
            return
        address = final
        assert crawl.settings.url is not None
        if extracted.canonical and on_site(extracted.canonical, crawl.settings.url, crawl.settings.include_subdomains):
            canonical = normalise_url(extracted.canonical)
            if canonical != final:
                if canonical in crawl.taken:
                    crawl.count(skipped=1)
                    return
                address = canonical
                crawl.seen.add(canonical)
        text_hash = bytes_hash(extracted.text.encode("utf-8"))
        if text_hash in crawl.texts:
            crawl.count(skipped=1)
            return
        if crawl.limited is not None and address not in documents:
            crawl.plan_limited()  # fetched in the same batch as the page that reached the limit
            return
        try:
            problem = await self._store(crawl, documents, address, extracted.title, extracted.text)
        except PlanLimitReached as reached:
            crawl.limited = crawl.limited or reached.detail
            crawl.plan_limited()
            return
        crawl.taken.add(address)
        crawl.taken.add(final)
        crawl.texts.add(text_hash)
        if crawl.source.kind is SourceKind.WEBSITE:
            for link in extracted.links:
                crawl.discover(link, depth + 1)
        if problem is None or problem == "":
            known = crawl.pages.get(address)
            await self._remember(
                crawl,
                SourcePage(
                    account_id=crawl.source.account_id,
                    source_id=crawl.source.id,
                    url=address,
                    document_id=documents[address].id,
                    etag=page.etag if address == final else None,
                    last_modified=page.last_modified if address == final else None,
                    links=extracted.links[:MAX_STORED_LINKS] if crawl.source.kind is SourceKind.WEBSITE else (),
                ),
                force=known is None or known.document_id != documents[address].id,
            )
        if problem is None:
            crawl.count(fetched=1, unchanged=1)
        elif problem == "":
            crawl.count(fetched=1, updated=1)
        else:
            crawl.fail(address, FailureReason.SIZE, problem)

    async def _store(
        self, crawl: _Crawl, documents: dict[str, Document], url: str, title: str | None, text: str
    ) -> str | None:
        """Store the page's text as its document: ``None`` when unchanged, ``""`` when stored,
        else why it was refused (an agent's limit). Raises :class:`PlanLimitReached` (nothing
        stored) when the plan holds no more."""
        source = crawl.source
        data = text.encode("utf-8")
        digest = bytes_hash(data)
        existing = documents.get(url)
        if existing is not None and existing.content_hash == digest and existing.status != DocumentStatus.FAILED:
            return None
        if len(data) > self._limits.max_file_bytes or len(text) > self._limits.max_document_chars:
            return f"The page's text has {len(text):,} characters; the limit is {self._limits.max_document_chars:,}."
        now = self._clock.now()
        name = (title or url)[:300]
        async with self._uow(account_id=source.account_id) as uow:
            agent = await uow.agents.get(source.account_id, source.agent_id)
            if agent is None or await uow.sources.get(source.account_id, source.id) is None:
                raise _Stopped()
            quota = await lock_document_quota(uow, source.account_id, crawl.plan)
            await uow.documents.lock_knowledge_base(source.account_id, source.agent_id, agent.embedding_model)
            current = await uow.documents.get(source.account_id, existing.id, for_update=True) if existing else None
            totals = await uow.documents.totals(source.account_id, source.agent_id)
            if current is None:
                if totals.documents >= self._limits.max_documents_per_agent:
                    return f"The agent already has {totals.documents:,} documents, the most it can have."
                problem = agent_chars_problem(totals.characters, len(text), self._limits)
                if problem is not None:
                    return problem
                if quota is not None:
                    quota.admit(len(data))
                document = Document(
                    id=new_id(DOCUMENT_ID_PREFIX),
                    account_id=source.account_id,
                    agent_id=source.agent_id,
                    title=name,
                    source=DocumentSource.URL,
                    source_url=url,
                    content_type="text/markdown",
                    status=DocumentStatus.QUEUED,
                    content_hash=digest,
                    blob_key="",
                    size_bytes=len(data),
                    created_at=now,
                    updated_at=now,
                    source_id=source.id,
                )
                document = msgspec.structs.replace(document, blob_key=blob_key(document, digest))
                await self._blobs.put(document.blob_key, data)
                await uow.documents.add(document)
            else:
                if quota is not None:
                    quota.admit(len(data), replacing_bytes=current.size_bytes)
                document = msgspec.structs.replace(
                    current,
                    version=current.version + 1,
                    status=DocumentStatus.QUEUED,
                    error=None,
                    progress_done=0,
                    progress_total=0,
                    content_hash=digest,
                    size_bytes=len(data),
                    title=name,
                    updated_at=now,
                )
                document = msgspec.structs.replace(document, blob_key=blob_key(document, digest))
                await self._blobs.put(document.blob_key, data)
                await uow.documents.update(document)
            try:
                await uow.jobs.enqueue(ingest_job(document))
                await uow.commit()
            except BaseException:
                await self._blobs.delete(document.blob_key)
                raise
        if current is not None and current.blob_key != document.blob_key:
            await self._blobs.delete(current.blob_key)
        documents[url] = document
        return ""

    async def _remember(self, crawl: _Crawl, page: SourcePage, *, force: bool = False) -> None:
        """Save a page's record when it changed (validators, links, a gone count reset)."""
        if not force and crawl.pages.get(page.url) == page:
            return
        async with self._uow(account_id=page.account_id) as uow:
            if await uow.documents.get(page.account_id, page.document_id) is None:
                return  # deleted meanwhile
            await uow.sources.save_page(page)
            await uow.commit()
        crawl.pages[page.url] = page

    async def _sweep_gone(self, crawl: _Crawl) -> None:
        """After a complete run: a page held but answered 404/410, or no longer listed or linked,
        is gone once more; gone on :data:`GONE_AFTER_RUNS` consecutive runs, it is removed with
        its document, chunks and files."""
        source = crawl.source
        for url, page in list(crawl.pages.items()):
            if url in crawl.taken or (url in crawl.seen and url not in crawl.gone):
                continue
            missing = page.missing_runs + 1
            if missing < GONE_AFTER_RUNS:
                await self._remember(crawl, msgspec.structs.replace(page, missing_runs=missing))
                continue
            async with self._uow(account_id=source.account_id) as uow:
                document = await uow.documents.get(source.account_id, page.document_id, for_update=True)
                base = await uow.documents.knowledge_base(source.account_id, source.agent_id)
                await uow.sources.delete_page(source.account_id, source.id, url)
                models: list[str] = []
                if document is not None:
                    purge = purge_document_payload(
                        source.account_id,
                        source.agent_id,
                        document.id,
                        (
                            document.embedding_model,
                            base.embedding_model if base else None,
                            base.pending_model if base else None,
                        ),
                    )
                    models = purge.models
                    await uow.documents.delete(source.account_id, document.id)
                    await uow.jobs.enqueue(job_of(PURGE_DOCUMENT, purge, max_attempts=10))
                await uow.commit()
            if document is not None:
                await self._purge(source.account_id, source.agent_id, document.id, models)
                crawl.count(removed=1)
            del crawl.pages[url]

    async def _checkpoint(self, run: SourceRun, crawl: _Crawl) -> None:
        """Save the progress; stop when the run was cancelled or the source deleted."""
        async with self._uow(account_id=run.account_id) as uow:
            # the source's row lock orders this with a cancellation (which takes it too)
            source = await uow.sources.get(run.account_id, run.source_id, for_update=True)
            current = await uow.sources.get_run(run.account_id, run.id)
            if source is None or current is None or current.cancel_requested or current.status is not RunStatus.RUNNING:
                raise _Stopped()
            await uow.sources.update_run(
                msgspec.structs.replace(current, counts=crawl.counts, failures=tuple(crawl.failures))
            )
            await uow.commit()

    async def _finish(self, run: SourceRun, crawl: _Crawl, status: RunStatus) -> RunStatus | None:
        now = self._clock.now()
        async with self._uow(account_id=run.account_id) as uow:
            source = await uow.sources.get(run.account_id, run.source_id, for_update=True)
            current = await uow.sources.get_run(run.account_id, run.id)
            if current is None or source is None:
                return None
            error = None if crawl.limited is None else f"Stopped taking new pages at the plan's limit: {crawl.limited}"
            await uow.sources.update_run(
                msgspec.structs.replace(
                    current,
                    status=status,
                    counts=crawl.counts,
                    failures=tuple(crawl.failures),
                    finished_at=now,
                    error=error[:2000] if error else current.error,
                )
            )
            if status is RunStatus.SUCCEEDED:
                await uow.sources.update(
                    msgspec.structs.replace(
                        source, last_synced_at=now, next_sync_at=next_sync(source.schedule, now), updated_at=now
                    )
                )
            emit_event(
                uow,
                account_id=run.account_id,
                type=SOURCE_SYNCED,
                at=now,
                data=source_synced(
                    msgspec.structs.replace(current, status=status, counts=crawl.counts, finished_at=now)
                ),
            )
            await uow.commit()
        return status


def crawl_payload(run: SourceRun) -> dict[str, str]:
    return {"account_id": run.account_id, "source_id": run.source_id, "run_id": run.id}


__all__: Sequence[str] = ("CrawlSource", "crawl_payload")
