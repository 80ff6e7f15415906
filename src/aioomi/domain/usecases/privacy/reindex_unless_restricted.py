"""ReindexUnlessRestricted: the re-index job, as the privacy policy allows it."""

from __future__ import annotations

from aioomi.domain.usecases.knowledge.reindex_document import ReindexDocument
from aioomi.domain.usecases.privacy.support import DEFERRED_WHILE_RESTRICTED, processing_allowed
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReindexUnlessRestricted:
    """Re-index a document unless the owner's processing is restricted.

    Rules: re-indexing sends a document's text to the embedder; while the workspace does
    not serve (``workspace_status``: every owner restricted, Art. 18, or being erased), nothing is re-indexed and the job
    ends deferred (no embedder call).
    """

    def __init__(self, uow: UnitOfWorkFactory, reindex: ReindexDocument) -> None:
        self._uow = uow
        self._reindex = reindex

    async def __call__(self, account_id: str, document_id: str, version: int | None) -> int | None | dict[str, str]:
        async with self._uow(account_id=account_id) as uow:
            allowed = await processing_allowed(uow, account_id)
        if not allowed:
            return dict(DEFERRED_WHILE_RESTRICTED)
        return await self._reindex(account_id, document_id, version)
