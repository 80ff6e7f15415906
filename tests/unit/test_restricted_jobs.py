"""The restriction rule (Art. 18) in the use cases that the worker's jobs call: a restricted
owner's documents are not re-indexed and their sources not crawled; lifting it lets both run."""

from __future__ import annotations

from typing import Any

from aioomi.container import Container
from aioomi.domain.model.documents import REINDEX_DOCUMENT
from aioomi.domain.model.sources import SYNC_SOURCE
from aioomi.domain.usecases.privacy.crawl_unless_restricted import CrawlUnlessRestricted
from aioomi.domain.usecases.privacy.reindex_unless_restricted import ReindexUnlessRestricted
from aioomi.entrypoints.worker.jobs import handlers
from tests.unit.test_account_usecases import clock, container, principal, signed_up  # noqa: F401 - fixtures
from tests.unit.test_privacy_rights_rules import ScopeSpy


class Recorder:
    """Stands in for the re-index and crawl use cases: records each call, answers ``answer``."""

    def __init__(self, answer: Any) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._answer = answer

    async def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self._answer


async def test_a_restricted_owner_is_neither_reindexed_nor_crawled_until_the_restriction_is_lifted(
    container: Container,
) -> None:
    owner = principal(await signed_up(container, "ada@example.com"))
    reindex, crawl = Recorder(3), Recorder("succeeded")
    reindex_job = ReindexUnlessRestricted(uow=container.uow(), reindex=reindex)  # type: ignore[arg-type]
    crawl_job = CrawlUnlessRestricted(uow=container.uow(), crawl=crawl)  # type: ignore[arg-type]

    await container.restrict_processing()(owner, restrict=True)
    assert await reindex_job(owner.account_id, "doc_1", 2) == {"deferred": "processing_restricted"}
    assert await crawl_job(owner.account_id, "src_1", "run_1") == {"deferred": "processing_restricted"}
    assert reindex.calls == [] and crawl.calls == []

    await container.restrict_processing()(owner, restrict=False)
    assert await reindex_job(owner.account_id, "doc_1", 2) == 3
    assert await crawl_job(owner.account_id, "src_1", "run_1") == {"status": "succeeded"}
    assert reindex.calls == [(owner.account_id, "doc_1", 2)]
    assert crawl.calls == [(owner.account_id, "src_1", "run_1")]


async def test_both_jobs_read_the_restriction_in_the_owners_scope_and_report_a_vanished_run(
    container: Container,
) -> None:
    owner = principal(await signed_up(container, "ada@example.com"))
    spy = ScopeSpy(container.uow())
    reindex_job = ReindexUnlessRestricted(uow=spy, reindex=Recorder(3))  # type: ignore[arg-type]
    crawl_job = CrawlUnlessRestricted(uow=spy, crawl=Recorder(None))  # type: ignore[arg-type]
    assert await crawl_job(owner.account_id, "src_1", "run_gone") == {"status": None}  # no run: no status
    assert await reindex_job(owner.account_id, "doc_1", 2) == 3
    assert spy.scopes == [owner.account_id, owner.account_id]  # never the system scope


async def test_the_worker_runs_the_jobs_through_the_rule(container: Container) -> None:
    owner = principal(await signed_up(container, "ada@example.com"))
    await container.restrict_processing()(owner, restrict=True)
    run = handlers(container)
    assert await run[REINDEX_DOCUMENT]({"account_id": owner.account_id, "document_id": "doc_1", "version": 1}) == {
        "deferred": "processing_restricted"
    }
    assert await run[SYNC_SOURCE]({"account_id": owner.account_id, "source_id": "src_1", "run_id": "run_1"}) == {
        "deferred": "processing_restricted"
    }
