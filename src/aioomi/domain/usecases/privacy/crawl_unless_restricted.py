"""CrawlUnlessRestricted: a source's sync job, as the privacy policy allows it."""

from __future__ import annotations

from aioomi.domain.usecases.crawl_source import CrawlSource
from aioomi.domain.usecases.privacy.support import DEFERRED_WHILE_RESTRICTED, processing_allowed
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CrawlUnlessRestricted:
    """Crawl a source's run unless the owner's processing is restricted.

    Rules: a crawl fetches pages and sends their text to the embedder; while the workspace does
    not serve (``workspace_status``: every owner restricted, Art. 18, or being erased), nothing is fetched and the job ends
    deferred; otherwise the result is the run's final status (none when the run was gone).
    """

    def __init__(self, uow: UnitOfWorkFactory, crawl: CrawlSource) -> None:
        self._uow = uow
        self._crawl = crawl

    async def __call__(self, account_id: str, source_id: str, run_id: str) -> dict[str, str | None]:
        async with self._uow(account_id=account_id) as uow:
            allowed = await processing_allowed(uow, account_id)
        if not allowed:
            return dict(DEFERRED_WHILE_RESTRICTED)
        status = await self._crawl(account_id, source_id, run_id)
        return {"status": None if status is None else str(status)}
