"""The ReindexDocument use case."""

from __future__ import annotations

from aioomi.domain.model.documents import (
    REINDEX_DOCUMENT,
    DocumentStatus,
    chunk_key,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.knowledge import DocumentKind, EmbeddingUnavailable, ExtractedText, titled
from aioomi.domain.usecases.knowledge.ingest_document import EmbeddingBatches, embed_chunks
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.chunker import Chunker
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReindexDocument:
    """Rebuild a ready document's chunks from its stored text, searched under its current
    title (the worker's job after a rename, and for every document after migration 0015).

    Rules:
    - only a ready document of the version named is re-indexed (a replaced, failed or deleted
      one is left to its own job); the chunks go under the model its current chunks use;
    - the new chunks replace the old ones in one transaction of the chunk store, so the
      document stays searchable throughout; chunks whose embedded text (title › headings and
      text) did not change keep their vectors;
    - if the document was replaced while this ran, a re-index of the new version is queued (it
      rebuilds from the new text, healing anything this one overwrote).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        chunk_store: ChunkStore,
        chunker: Chunker,
        embedders: EmbedderCatalog,
        batches: EmbeddingBatches | None = None,
    ) -> None:
        self._uow = uow
        self._chunks = chunk_store
        self._chunker = chunker
        self._embedders = embedders
        self._batches = batches or EmbeddingBatches()

    async def __call__(self, account_id: str, document_id: str, version: int | None = None) -> int | None:
        async with self._uow(account_id=account_id) as uow:
            document = await uow.documents.get(account_id, document_id)
            if (
                document is None
                or document.status != DocumentStatus.READY
                or not document.embedding_model
                or (version is not None and document.version != version)
            ):
                return None
            text = await uow.documents.get_text(account_id, document.id)
        if not text:
            return None
        model = document.embedding_model
        embedder = self._embedders.get(model)
        if embedder is None:
            raise EmbeddingUnavailable(f"The embedding model {model} is not configured on this server.")
        key = chunk_key(document.id, model)
        chunks = titled(
            self._chunker.chunk(ExtractedText(kind=document.kind or DocumentKind.MARKDOWN, text=text)), document.title
        )
        embedded = await embed_chunks(
            chunk_store=self._chunks,
            embedder=embedder,
            account_id=account_id,
            agent_id=document.agent_id,
            key=key,
            chunks=chunks,
            batches=self._batches,
        )
        async with self._uow(account_id=account_id) as uow:
            current = await uow.documents.get(account_id, document.id)
        if current is None or current.version != document.version or current.embedding_model != model:
            return None
        await self._chunks.replace_document(
            account_id=account_id,
            agent_id=document.agent_id,
            document_id=key,
            embedding_model=model,
            chunks=embedded,
        )
        async with self._uow(account_id=account_id) as uow:
            after = await uow.documents.get(account_id, document.id)
            if after is not None and after.version != document.version and after.status == DocumentStatus.READY:
                await uow.jobs.enqueue(
                    NewJob(
                        kind=REINDEX_DOCUMENT,
                        payload={"account_id": account_id, "document_id": after.id, "version": after.version},
                        max_attempts=10,
                    )
                )
                await uow.commit()
        return len(embedded)
