"""GetKnowledgeBase, ChangeEmbeddingModel, SwitchEmbeddingModel and ReindexDocument (the
worker's jobs): the knowledge base as a whole, the embedding model it is searched with, and
rebuilding a document's chunks."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    REINDEX_DOCUMENT,
    SWITCH_EMBEDDING_MODEL,
    DocumentStatus,
    EmbeddingModelUnavailable,
    KnowledgeBase,
    KnowledgeBaseTotals,
    chunk_key,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.knowledge import DocumentKind, EmbeddingUnavailable, ExtractedText, titled
from aioomi.domain.usecases.agents import find_own_agent
from aioomi.domain.usecases.ingest_document import EmbeddingBatches, embed_chunks
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.chunker import Chunker
from aioomi.ports.clock import Clock
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_SWITCH_ROUNDS = 20


class GetKnowledgeBase:
    """The agent's knowledge base: its embedding model, the one it is switching to, and how
    many documents and characters it holds."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> tuple[KnowledgeBase, KnowledgeBaseTotals]:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            base = await uow.documents.knowledge_base(principal.account_id, agent.id)
            totals = await uow.documents.totals(principal.account_id, agent.id)
        if base is None:
            base = KnowledgeBase(account_id=agent.account_id, agent_id=agent.id, embedding_model=agent.embedding_model)
        return base, totals


class ChangeEmbeddingModel:
    """Ask for the agent's knowledge base to be embedded with another model.

    Rules:
    - the model must be configured on this server (``embedding_model_unavailable``);
    - the re-embedding runs in the background (:class:`SwitchEmbeddingModel`), enqueued in the
      same unit of work; searches keep using the current model until every document has its
      chunks under the new one, then switch over at once;
    - asking for the current model cancels a pending switch; asking again for another model
      supersedes the pending one.
    """

    def __init__(self, uow: UnitOfWorkFactory, embedders: EmbedderCatalog) -> None:
        self._uow = uow
        self._embedders = embedders

    async def __call__(self, principal: Principal, agent_id: str, model: str) -> KnowledgeBase:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            if self._embedders.get(model) is None:
                raise EmbeddingModelUnavailable(
                    f"The embedding model {model!r} is not configured here; available: "
                    f"{', '.join(self._embedders.models())}.", field="model",
                )
            base = await uow.documents.lock_knowledge_base(principal.account_id, agent.id, agent.embedding_model)
            if model == base.embedding_model:
                base = msgspec.structs.replace(base, pending_model=None)
            else:
                base = msgspec.structs.replace(base, pending_model=model)
                await uow.jobs.enqueue(NewJob(
                    kind=SWITCH_EMBEDDING_MODEL,
                    payload={"account_id": principal.account_id, "agent_id": agent.id, "model": model},
                    max_attempts=10,
                ))
            await uow.documents.save_knowledge_base(base)
            await uow.commit()
        return base


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

    def __init__(self, uow: UnitOfWorkFactory, chunk_store: ChunkStore, chunker: Chunker,
                 embedders: EmbedderCatalog, batches: EmbeddingBatches | None = None, clock: Clock | None = None) -> None:
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
                todo = [d for d in await uow.documents.list_all(account_id, agent_id)
                        if d.status == DocumentStatus.READY and written.get(d.id) != d.version]
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
                    chunk_store=self._chunks, embedder=embedder, account_id=account_id, agent_id=agent_id,
                    key=key, chunks=chunks, batches=self._batches,
                )
                await self._chunks.replace_document(
                    account_id=account_id, agent_id=agent_id, document_id=key, embedding_model=model, chunks=embedded,
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

    def __init__(self, uow: UnitOfWorkFactory, chunk_store: ChunkStore, chunker: Chunker,
                 embedders: EmbedderCatalog, batches: EmbeddingBatches | None = None) -> None:
        self._uow = uow
        self._chunks = chunk_store
        self._chunker = chunker
        self._embedders = embedders
        self._batches = batches or EmbeddingBatches()

    async def __call__(self, account_id: str, document_id: str, version: int | None = None) -> int | None:
        async with self._uow(account_id=account_id) as uow:
            document = await uow.documents.get(account_id, document_id)
            if (document is None or document.status != DocumentStatus.READY or not document.embedding_model
                    or (version is not None and document.version != version)):
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
            chunk_store=self._chunks, embedder=embedder, account_id=account_id, agent_id=document.agent_id,
            key=key, chunks=chunks, batches=self._batches,
        )
        async with self._uow(account_id=account_id) as uow:
            current = await uow.documents.get(account_id, document.id)
        if current is None or current.version != document.version or current.embedding_model != model:
            return None
        await self._chunks.replace_document(
            account_id=account_id, agent_id=document.agent_id, document_id=key, embedding_model=model, chunks=embedded,
        )
        async with self._uow(account_id=account_id) as uow:
            after = await uow.documents.get(account_id, document.id)
            if after is not None and after.version != document.version and after.status == DocumentStatus.READY:
                await uow.jobs.enqueue(NewJob(
                    kind=REINDEX_DOCUMENT,
                    payload={"account_id": account_id, "document_id": after.id, "version": after.version},
                    max_attempts=10,
                ))
                await uow.commit()
        return len(embedded)
