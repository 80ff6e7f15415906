"""The SwitchEmbeddingModel use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.documents import (
    DocumentStatus,
    chunk_key,
)
from aioomi.domain.model.knowledge import DocumentKind, EmbeddingUnavailable, ExtractedText, titled
from aioomi.domain.usecases.knowledge.ingest_document import EmbeddingBatches, embed_chunks
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.chunker import Chunker
from aioomi.ports.clock import Clock
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_SWITCH_ROUNDS = 20


class SwitchEmbeddingModel:
    """Re-embed every ready document of an agent with ``model``, then switch the knowledge
    base over to it atomically.

    Rules:
    - runs only while ``model`` is the knowledge base's pending model (a later change or a
      cancellation makes it stop);
    - each document's chunks are rebuilt from its stored text and written under the new model
      beside the old ones; searches use the old ones until the switch;
    - the switch is one unit of work, under the knowledge base's lock, taken only when every
      ready document has its new chunks (documents that became ready meanwhile are embedded
      first); then the old model's chunks are removed;
    - a crash anywhere leaves the old model in use; the job runs again and reuses the vectors it
      had already written.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        chunk_store: ChunkStore,
        chunker: Chunker,
        embedders: EmbedderCatalog,
        batches: EmbeddingBatches | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._uow = uow
        self._chunks = chunk_store
        self._chunker = chunker
        self._embedders = embedders
        self._batches = batches or EmbeddingBatches()
        self._clock = clock

    async def __call__(self, account_id: str, agent_id: str, model: str) -> int | None:
        embedder = self._embedders.get(model)
        if embedder is None:
            raise EmbeddingUnavailable(f"The embedding model {model} is not configured on this server.")
        written: dict[str, int] = {}
        for _ in range(MAX_SWITCH_ROUNDS):
            async with self._uow(account_id=account_id) as uow:
                agent = await uow.agents.get(account_id, agent_id)
                base = await uow.documents.knowledge_base(account_id, agent_id)
                if agent is None or base is None or base.pending_model != model:
                    await self._abandon(account_id, agent_id, model, written)
                    return None
                todo = [
                    d
                    for d in await uow.documents.list_all(account_id, agent_id)
                    if d.status == DocumentStatus.READY and written.get(d.id) != d.version
                ]
                texts = {d.id: await uow.documents.get_text(account_id, d.id) for d in todo}
            for document in todo:
                text = texts.get(document.id)
                if not text:
                    continue
                key = chunk_key(document.id, model)
                chunks = titled(
                    self._chunker.chunk(ExtractedText(kind=document.kind or DocumentKind.MARKDOWN, text=text)),
                    document.title,
                )
                embedded = await embed_chunks(
                    chunk_store=self._chunks,
                    embedder=embedder,
                    account_id=account_id,
                    agent_id=agent_id,
                    key=key,
                    chunks=chunks,
                    batches=self._batches,
                )
                await self._chunks.replace_document(
                    account_id=account_id,
                    agent_id=agent_id,
                    document_id=key,
                    embedding_model=model,
                    chunks=embedded,
                )
                written[document.id] = document.version
            async with self._uow(account_id=account_id) as uow:
                agent = await uow.agents.get(account_id, agent_id)
                if agent is None:
                    await self._abandon(account_id, agent_id, model, written)
                    return None
                base = await uow.documents.lock_knowledge_base(account_id, agent_id, agent.embedding_model)
                if base.pending_model != model:
                    await self._abandon(account_id, agent_id, model, written)
                    return None
                documents = await uow.documents.list_all(account_id, agent_id)
                missing = [d for d in documents if d.status == DocumentStatus.READY and written.get(d.id) != d.version]
                if missing:
                    continue  # became ready meanwhile: embed them too, then try again
                old = base.embedding_model
                for d in documents:
                    if d.status == DocumentStatus.READY:
                        await uow.documents.update(msgspec.structs.replace(d, embedding_model=model))
                await uow.documents.save_knowledge_base(
                    msgspec.structs.replace(base, embedding_model=model, pending_model=None)
                )
                await uow.commit()
            present = {d.id for d in documents}
            for d in documents:
                if d.status == DocumentStatus.READY and d.embedding_model and d.embedding_model != model:
                    await self._chunks.delete_document(
                        account_id=account_id, agent_id=agent_id, document_id=chunk_key(d.id, d.embedding_model)
                    )
            for document_id in set(written) - present:
                await self._chunks.delete_document(
                    account_id=account_id, agent_id=agent_id, document_id=chunk_key(document_id, model)
                )
            if old != model:
                for d in documents:
                    if d.status == DocumentStatus.READY:
                        await self._chunks.delete_document(
                            account_id=account_id, agent_id=agent_id, document_id=chunk_key(d.id, old)
                        )
            return len(written)
        raise EmbeddingUnavailable("Documents kept changing during the re-embedding; it will run again.")

    async def _abandon(self, account_id: str, agent_id: str, model: str, written: dict[str, int]) -> None:
        async with self._uow(account_id=account_id) as uow:
            base = await uow.documents.knowledge_base(account_id, agent_id)
        if base is not None and model in (base.embedding_model, base.pending_model):
            return None
        for document_id in written:
            await self._chunks.delete_document(
                account_id=account_id, agent_id=agent_id, document_id=chunk_key(document_id, model)
            )
        return None
