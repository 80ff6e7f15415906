"""IngestUnlessRestricted: The ingestion job, as the privacy policy allows it."""

from __future__ import annotations

from aioomi.domain.usecases.knowledge.ingest_document import IngestDocument
from aioomi.domain.usecases.privacy.support import DEFERRED_WHILE_RESTRICTED, processing_allowed
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class IngestUnlessRestricted:
    """The ingestion job, as the privacy policy allows it.

    Rules: ingestion sends a document's text to the embedder (OpenAI when configured); while the
    workspace does not serve (``workspace_status``: every owner restricted, Art. 18, or being
    erased), nothing is done and the
    document stays ``queued`` (no embedder call); lifting the restriction re-queues it
    (:class:`RestrictProcessing`) and it is ingested then.
    """

    def __init__(self, uow: UnitOfWorkFactory, ingest: IngestDocument) -> None:
        self._uow = uow
        self._ingest = ingest

    async def __call__(self, account_id: str, document_id: str, version: int, attempt: int = 1) -> object:
        async with self._uow(account_id=account_id) as uow:
            allowed = await processing_allowed(uow, account_id)
        if not allowed:
            return dict(DEFERRED_WHILE_RESTRICTED)
        return await self._ingest(account_id, document_id, version, attempt)
