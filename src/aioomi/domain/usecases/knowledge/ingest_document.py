"""The IngestDocument use case."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import msgspec

from aioomi.domain.model.documents import (
    EMBEDDING_BATCH_INPUTS,
    EMBEDDING_BATCH_TOKENS,
    INGEST_DOCUMENT,
    MAX_INGEST_ATTEMPTS,
    Document,
    DocumentLimits,
    DocumentStatus,
    agent_chars_problem,
    chunk_key,
    embedding_batches,
    extraction_problem,
    title_after_extraction,
)
from aioomi.domain.model.errors import PermanentFailure
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.knowledge import (
    Chunk,
    EmbeddedChunk,
    EmbeddingRejected,
    EmbeddingUnavailable,
    ExtractedText,
    UnreadableDocument,
    titled,
)
from aioomi.domain.model.test_questions import RunTrigger
from aioomi.domain.model.webhook_payloads import DOCUMENT_FAILED, DOCUMENT_READY, document_settled
from aioomi.domain.usecases.test_questions.request_test_run import rerun_tests_after_change
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.chunker import Chunker
from aioomi.ports.clock import Clock
from aioomi.ports.embedder import Embedder
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.text_extractor import TextExtractor
from aioomi.ports.unit_of_work import UnitOfWorkFactory

Progress = Callable[[int, int], Awaitable[None]]


class EmbeddingBatches(msgspec.Struct, frozen=True, kw_only=True):
    """How many chunks and tokens one call of the embedder gets (the API's per-request limits)."""

    max_inputs: int = EMBEDDING_BATCH_INPUTS
    max_tokens: int = EMBEDDING_BATCH_TOKENS


async def embed_chunks(
    *,
    chunk_store: ChunkStore,
    embedder: Embedder,
    account_id: str,
    agent_id: str,
    key: str,
    chunks: Sequence[Chunk],
    batches: EmbeddingBatches,
    progress: Progress | None = None,
) -> list[EmbeddedChunk]:
    """``chunks`` with their vectors. Vectors already stored under ``key`` for the same text
    and model are reused (only changed chunks are embedded); equal texts are embedded once; the
    rest goes to the embedder in the fewest batches ``batches`` allows, reporting progress
    (chunks with a vector, total) after each. What is embedded is the chunk's heading line
    (document title › headings) followed by its text."""
    model = embedder.model
    hashes = {c.content_hash for c in chunks}
    vectors = await chunk_store.existing_embeddings(
        account_id=account_id, agent_id=agent_id, document_id=key, embedding_model=model, content_hashes=hashes
    )
    pending: dict[str, Chunk] = {}
    for c in chunks:
        if c.content_hash not in vectors:
            pending.setdefault(c.content_hash, c)
    todo = list(pending.values())

    def done() -> int:
        return sum(1 for c in chunks if c.content_hash in vectors)

    if progress is not None:
        await progress(done(), len(chunks))
    for group in embedding_batches(todo, max_inputs=batches.max_inputs, max_tokens=batches.max_tokens):
        batch = [todo[i] for i in group]
        embedded = await embedder.embed([c.embedding_text() for c in batch])
        for c, vector in zip(batch, embedded, strict=True):
            vectors[c.content_hash] = vector
        if progress is not None:
            await progress(done(), len(chunks))
    return [EmbeddedChunk(chunk=c, embedding=vectors[c.content_hash]) for c in chunks]


def ingest_job(document: Document, attempt: int = 1, run_at: datetime | None = None) -> NewJob:
    return NewJob(
        kind=INGEST_DOCUMENT,
        payload={
            "account_id": document.account_id,
            "document_id": document.id,
            "version": document.version,
            "attempt": attempt,
        },
        dedupe_key=f"{INGEST_DOCUMENT}:{document.id}:{document.version}:{attempt}",
        run_at=run_at,
        max_attempts=10,
    )


class _Superseded(Exception):
    """The document was deleted or replaced while this job worked on it."""


class IngestDocument:
    """Turn a queued document into searchable chunks: the worker's job for every upload.

    Rules:
    - only the job for the document's current ``version`` works; a job for an older version,
      or for a document that is ready, failed or deleted, does nothing;
    - status goes ``queued`` → ``processing`` (with ``n of m`` chunks embedded) → ``ready``;
      a corrupt, encrypted or empty file, or one over a per-file or per-agent limit, becomes
      ``failed`` with the reason, and its original file and chunks are removed;
    - the title found in the file (HTML ``<title>``, PDF ``/Title``, DOCX title) replaces a
      title made from the file name or address; every chunk is indexed with the document's
      title and its heading path (weighted in BM25, first line of the embedded text);
    - chunks are embedded with the knowledge base's current model, in the fewest batches the
      API limits allow; chunks whose text did not change since the last version keep their
      vectors (no new embedding);
    - all chunks are written in one transaction of the chunk store: a search sees the old set
      or the new one, never part of one. A crash at any step leaves the document re-runnable:
      the job is handed to another worker, which starts again (reusing the vectors already
      stored) and writes the chunks once;
    - an unavailable embedding provider queues the document again with a growing delay, up to
      ``MAX_INGEST_ATTEMPTS``; a rejection fails it;
    - if the knowledge base switched models meanwhile, the chunks are embedded again with the
      new model before the document becomes ready;
    - a document becoming ready queues a debounced run of the agent's test questions when it
      has some (``rerun_tests_after_change``, in the same transaction).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        blobs: BlobStore,
        extractor: TextExtractor,
        chunker: Chunker,
        chunk_store: ChunkStore,
        embedders: EmbedderCatalog,
        limits: DocumentLimits,
        batches: EmbeddingBatches | None = None,
        retry_delay: timedelta = timedelta(seconds=30),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._extractor = extractor
        self._chunker = chunker
        self._chunks = chunk_store
        self._embedders = embedders
        self._limits = limits
        self._batches = batches or EmbeddingBatches()
        self._retry_delay = retry_delay

    async def __call__(
        self, account_id: str, document_id: str, version: int, attempt: int = 1
    ) -> DocumentStatus | None:
        document = await self._start(account_id, document_id, version)
        if document is None:
            return None
        try:
            return await self._ingest(document, attempt)
        except _Superseded:
            return None

    async def _start(self, account_id: str, document_id: str, version: int) -> Document | None:
        async with self._uow(account_id=account_id) as uow:
            document = await uow.documents.get(account_id, document_id, for_update=True)
            if (
                document is None
                or document.version != version
                or document.status
                in (
                    DocumentStatus.READY,
                    DocumentStatus.FAILED,
                )
            ):
                return None
            document = msgspec.structs.replace(
                document,
                status=DocumentStatus.PROCESSING,
                progress_done=0,
                progress_total=0,
                updated_at=self._clock.now(),
            )
            await uow.documents.update(document)
            await uow.commit()
        return document

    async def _ingest(self, document: Document, attempt: int) -> DocumentStatus | None:
        data = await self._blobs.get(document.blob_key)
        if data is None:
            return await self._fail(document, "The uploaded file is missing; upload the document again.")
        try:
            extracted = await self._extractor.extract(
                data,
                filename=document.filename or "",
                content_type=document.content_type,
                max_pages=self._limits.max_pages,
                max_chars=self._limits.max_document_chars,
            )
        except UnreadableDocument as error:
            status = await self._fail(document, error.detail)
            if isinstance(error, PermanentFailure):
                raise  # the job is recorded failed, not retried
            return status
        problem = extraction_problem(extracted.pages, len(extracted.text), self._limits)
        if problem is None:
            async with self._uow(account_id=document.account_id) as uow:
                totals = await uow.documents.totals(document.account_id, document.agent_id)
            problem = agent_chars_problem(totals.characters - document.char_count, len(extracted.text), self._limits)
        if problem is not None:
            return await self._fail(document, problem)
        chunks = await asyncio.to_thread(self._chunker.chunk, extracted)
        if not chunks:
            return await self._fail(document, "No text could be found in the document.")
        title = title_after_extraction(document, extracted.title)
        chunks = titled(chunks, title)
        for _ in range(3):
            model = await self._active_model(document)
            embedder = self._embedders.get(model)
            key = chunk_key(document.id, model)
            try:
                if embedder is None:
                    raise EmbeddingUnavailable(f"The embedding model {model} is not configured on this server.")
                embedded = await embed_chunks(
                    chunk_store=self._chunks,
                    embedder=embedder,
                    account_id=document.account_id,
                    agent_id=document.agent_id,
                    key=key,
                    chunks=chunks,
                    batches=self._batches,
                    progress=lambda done, total: self._progress(document, done, total),
                )
            except EmbeddingUnavailable as error:
                return await self._retry_later(document, attempt, error.detail)
            except EmbeddingRejected as error:
                return await self._fail(document, f"The embedding provider refused the text: {error.detail}")
            await self._chunks.replace_document(
                account_id=document.account_id,
                agent_id=document.agent_id,
                document_id=key,
                embedding_model=model,
                chunks=embedded,
            )
            status = await self._finish(document, extracted, chunks, model, title)
            if status is not None:
                return status
        raise EmbeddingUnavailable("The knowledge base's embedding model kept changing; the job will run again.")

    async def _active_model(self, document: Document) -> str:
        async with self._uow(account_id=document.account_id) as uow:
            base = await uow.documents.knowledge_base(document.account_id, document.agent_id)
            if base is not None:
                return base.embedding_model
            agent = await uow.agents.get(document.account_id, document.agent_id)
        if agent is None:
            raise _Superseded()
        return agent.embedding_model

    async def _progress(self, document: Document, done: int, total: int) -> None:
        async with self._uow(account_id=document.account_id) as uow:
            current = await uow.documents.get(document.account_id, document.id, for_update=True)
            if current is None or current.version != document.version or current.status != DocumentStatus.PROCESSING:
                raise _Superseded()
            await uow.documents.update(
                msgspec.structs.replace(current, progress_done=done, progress_total=total, updated_at=self._clock.now())
            )
            await uow.commit()

    async def _finish(
        self, document: Document, extracted: ExtractedText, chunks: list[Chunk], model: str, title: str
    ) -> DocumentStatus | None:
        """Mark the document ready, or return ``None`` when the knowledge base's model changed
        (embed again); raises :class:`_Superseded` when the document went away or was replaced."""
        key = chunk_key(document.id, model)
        account_id, agent_id = document.account_id, document.agent_id
        gone = changed = False
        problem: str | None = None
        async with self._uow(account_id=account_id) as uow:
            agent = await uow.agents.get(account_id, agent_id)
            current = None
            if agent is not None:
                # The knowledge base's lock first: a model switch and this document take turns.
                base = await uow.documents.lock_knowledge_base(account_id, agent_id, agent.embedding_model)
                current = await uow.documents.get(account_id, document.id, for_update=True)
            if agent is None or current is None:
                gone = True
            elif current.version != document.version or current.status != DocumentStatus.PROCESSING:
                raise _Superseded()  # the newer version's job writes its own chunks
            elif base.embedding_model != model:
                changed = True
            else:
                totals = await uow.documents.totals(account_id, agent_id)
                problem = agent_chars_problem(totals.characters - current.char_count, len(extracted.text), self._limits)
                if problem is None:
                    now = self._clock.now()
                    # The title found in the file, unless the owner renamed it meanwhile (the
                    # rename's own re-index job then titles the chunks).
                    await uow.documents.update(
                        msgspec.structs.replace(
                            current,
                            title=title if current.title == document.title else current.title,
                            status=DocumentStatus.READY,
                            kind=extracted.kind,
                            pages=extracted.pages,
                            char_count=len(extracted.text),
                            chunk_count=len(chunks),
                            embedding_model=model,
                            progress_done=len(chunks),
                            progress_total=len(chunks),
                            error=None,
                            processed_at=now,
                            updated_at=now,
                        )
                    )
                    await uow.documents.save_text(account_id, document.id, extracted.text)
                    emit_event(
                        uow,
                        account_id=account_id,
                        type=DOCUMENT_READY,
                        at=now,
                        data=document_settled(
                            msgspec.structs.replace(current, status=DocumentStatus.READY, error=None, updated_at=now)
                        ),
                    )
                    await rerun_tests_after_change(uow, now, account_id, agent_id, RunTrigger.KNOWLEDGE)
                    await uow.commit()
        if gone:
            await self._chunks.delete_document(account_id=account_id, agent_id=agent_id, document_id=key)
            raise _Superseded()
        assert current is not None  # not gone
        if changed:
            if model != base.pending_model:
                await self._chunks.delete_document(account_id=account_id, agent_id=agent_id, document_id=key)
            return None
        if problem is not None:
            return await self._fail(current, problem)
        if current.embedding_model and current.embedding_model != model:
            await self._chunks.delete_document(
                account_id=account_id, agent_id=agent_id, document_id=chunk_key(document.id, current.embedding_model)
            )
        return DocumentStatus.READY

    async def _fail(self, document: Document, reason: str) -> DocumentStatus | None:
        """Mark the document failed with ``reason``; nothing of it stays searchable or stored."""
        async with self._uow(account_id=document.account_id) as uow:
            current = await uow.documents.get(document.account_id, document.id, for_update=True)
            if current is None or current.version != document.version:
                return None
            base = await uow.documents.knowledge_base(document.account_id, document.agent_id)
            now = self._clock.now()
            await uow.documents.update(
                msgspec.structs.replace(
                    current,
                    status=DocumentStatus.FAILED,
                    error=reason[:2000],
                    embedding_model=None,
                    chunk_count=0,
                    char_count=0,
                    progress_done=0,
                    progress_total=0,
                    processed_at=now,
                    updated_at=now,
                )
            )
            emit_event(
                uow,
                account_id=document.account_id,
                type=DOCUMENT_FAILED,
                at=now,
                data=document_settled(
                    msgspec.structs.replace(current, status=DocumentStatus.FAILED, error=reason[:2000], updated_at=now)
                ),
            )
            await uow.commit()
        models = {m for m in (current.embedding_model, base and base.embedding_model, base and base.pending_model) if m}
        for model in models:
            await self._chunks.delete_document(
                account_id=document.account_id, agent_id=document.agent_id, document_id=chunk_key(document.id, model)
            )
        await self._blobs.delete(document.blob_key)
        return DocumentStatus.FAILED

    async def _retry_later(self, document: Document, attempt: int, detail: str) -> DocumentStatus | None:
        if attempt >= MAX_INGEST_ATTEMPTS:
            return await self._fail(document, f"{detail} Gave up after {attempt} attempts; upload the document again.")
        async with self._uow(account_id=document.account_id) as uow:
            current = await uow.documents.get(document.account_id, document.id, for_update=True)
            if current is None or current.version != document.version:
                return None
            now = self._clock.now()
            await uow.documents.update(
                msgspec.structs.replace(
                    current,
                    status=DocumentStatus.QUEUED,
                    error=f"{detail} Retrying.",
                    updated_at=now,
                )
            )
            await uow.jobs.enqueue(
                ingest_job(current, attempt + 1, run_at=now + self._retry_delay * 2 ** (attempt - 1))
            )
            await uow.commit()
        return DocumentStatus.QUEUED
