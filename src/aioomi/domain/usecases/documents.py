"""AddDocument, ReplaceDocument, ListDocuments, GetDocument, GetDocumentText, DeleteDocument:
the owner's documents in an agent's knowledge base. Ingestion itself runs in the worker
(:mod:`.ingest_document`)."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.billing import Plan, enforce_document_limits, limits_documents
from aioomi.domain.model.documents import (
    DOCUMENT_ID_PREFIX,
    PURGE_DOCUMENT,
    REINDEX_DOCUMENT,
    Document,
    DocumentLimits,
    DocumentNotFound,
    DocumentSource,
    DocumentStatus,
    DocumentUpload,
    IdempotencyKeyReused,
    KnowledgeBaseFull,
    TooManyDocuments,
    agent_chars_problem,
    bytes_hash,
    check_idempotency_key,
    check_title,
    check_upload_size,
    default_title,
)
from aioomi.domain.model.errors import Conflict, InvalidInput
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.domain.usecases.agents import find_own_agent
from aioomi.domain.usecases.ingest_document import PurgeDocumentData, blob_key, ingest_job
from aioomi.domain.usecases.source_support import drop_url_source, refuse_qa_document, source_for_document
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from aioomi.ports.url_fetcher import UrlFetcher


async def find_own_document(uow: UnitOfWork, principal: Principal, agent: Agent, document_id: str,
                            *, for_update: bool = False) -> Document:
    """The agent's document, or :class:`DocumentNotFound` (also for another agent's or account's)."""
    document = None
    if is_id(document_id, DOCUMENT_ID_PREFIX):
        document = await uow.documents.get(principal.account_id, document_id, for_update=for_update)
    if document is None or document.agent_id != agent.id:
        raise DocumentNotFound("No such document.")
    return document


async def _lock_account(uow: UnitOfWork, account_id: str, plan: Plan | None) -> bool:
    """Take the per-account lock (the one agent creation counts under) when the plan limits
    documents or storage, so concurrent uploads to any of the account's agents take turns.
    Taken before the knowledge-base lock, always in that order."""
    if not limits_documents(plan):
        return False
    await uow.agents.count_locked(account_id)
    return True


async def _fetched(fetcher: UrlFetcher, url: str, title: str | None, limits: DocumentLimits) -> DocumentUpload:
    resource = await fetcher.fetch(url, max_bytes=limits.max_file_bytes)
    return DocumentUpload(
        data=resource.data, title=title, filename=resource.filename, content_type=resource.content_type,
        source=DocumentSource.URL, source_url=url,
    )


class AddDocument:
    """Add a document to an agent's knowledge base: store the original, record the document
    ``queued`` and enqueue its ingestion, in one unit of work.

    Rules:
    - the source is a file, a text, or a single URL (fetched here with limits on size, time and
      content type; only public addresses);
    - per file: at most ``max_file_bytes`` bytes (``document_too_large``, 413), a text at most
      ``max_document_chars`` characters; per agent: at most ``max_documents_per_agent``
      documents (``too_many_documents``) and ``max_agent_chars`` characters
      (``knowledge_base_full``); while billing is on, per account at most the plan's
      ``max_documents`` documents and ``max_storage_mb`` of stored originals
      (``plan_limit_reached``, 402); over a limit nothing is stored;
    - the same content again (same bytes) answers with the existing document, nothing new is
      stored (``created`` is False); a failed document does not count;
    - with an ``Idempotency-Key``, a retry answers with the document the first request made;
      the same key with other content is ``idempotency_key_reused`` (409);
    - the document is never processed in the request: the worker's job does it.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, blobs: BlobStore, fetcher: UrlFetcher,
                 limits: DocumentLimits, plans: PlanLimits | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._fetcher = fetcher
        self._limits = limits
        self._plans = plans

    async def __call__(
        self, principal: Principal, agent_id: str, upload: DocumentUpload | None = None, *,
        url: str | None = None, title: str | None = None, idempotency_key: str | None = None,
    ) -> tuple[Document, bool]:
        key = check_idempotency_key(idempotency_key)
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            earlier = await uow.documents.find_by_idempotency_key(principal.account_id, agent.id, key) if key else None
        if earlier is not None:
            return self._replayed(earlier, upload), False
        if upload is None:
            assert url is not None, "a document needs an upload or a URL"
            upload = await _fetched(self._fetcher, url, title, self._limits)
        check_title(upload.title)
        check_upload_size(upload, self._limits)
        digest = bytes_hash(upload.data)
        now = self._clock.now()
        document = Document(
            id=new_id(DOCUMENT_ID_PREFIX), account_id=principal.account_id, agent_id=agent.id,
            title=default_title(upload), source=upload.source, source_url=upload.source_url,
            filename=upload.filename, content_type=upload.content_type, status=DocumentStatus.QUEUED,
            content_hash=digest, blob_key="", size_bytes=len(upload.data), idempotency_key=key,
            created_at=now, updated_at=now,
        )
        document = msgspec.structs.replace(document, blob_key=blob_key(document, digest))
        plan = await self._plans.plan_limits(principal.account_id) if self._plans is not None else None
        # The original is stored first, so the job never finds its document without it.
        await self._blobs.put(document.blob_key, upload.data)
        try:
            existing, document = await self._record(agent, document, upload, plan)
        except BaseException:
            await self._blobs.delete(document.blob_key)
            raise
        if existing is not None:
            await self._blobs.delete(document.blob_key)
            return self._replayed(existing, upload) if key and existing.idempotency_key == key else existing, False
        return document, True

    @staticmethod
    def _replayed(earlier: Document, upload: DocumentUpload | None) -> Document:
        if upload is not None and bytes_hash(upload.data) != earlier.content_hash:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different document; use a new key.")
        return earlier

    async def _record(self, agent: Agent, document: Document, upload: DocumentUpload,
                      plan: Plan | None) -> tuple[Document | None, Document]:
        """(the existing document the upload turned out to be, or None; the stored document)."""
        account_id = document.account_id
        async with self._uow(account_id=account_id) as uow:
            plan_applies = await _lock_account(uow, account_id, plan)
            await uow.documents.lock_knowledge_base(account_id, agent.id, agent.embedding_model)
            if document.idempotency_key:
                earlier = await uow.documents.find_by_idempotency_key(account_id, agent.id, document.idempotency_key)
                if earlier is not None:
                    return earlier, document
            same = await uow.documents.find_by_hash(account_id, agent.id, document.content_hash)
            if same is not None and same.status != DocumentStatus.FAILED:
                return same, document
            totals = await uow.documents.totals(account_id, agent.id)
            if totals.documents >= self._limits.max_documents_per_agent:
                raise TooManyDocuments(
                    f"An agent can have at most {self._limits.max_documents_per_agent:,} documents; remove some first."
                )
            adding = len(upload.data.decode("utf-8")) if upload.source is DocumentSource.TEXT else 1
            problem = agent_chars_problem(totals.characters, adding, self._limits)
            if problem is not None:
                raise KnowledgeBaseFull(problem)
            if plan_applies:
                assert plan is not None
                stored = await uow.documents.account_totals(account_id)
                enforce_document_limits(plan, stored.documents, stored.stored_bytes, document.size_bytes)
            document = msgspec.structs.replace(
                document, source_id=await source_for_document(uow, document, document.created_at))
            await uow.documents.add(document)
            await uow.jobs.enqueue(ingest_job(document))
            await uow.commit()
        return None, document


class ReplaceDocument:
    """Give a document new content (a file, a text or a URL), keeping its id.

    Rules:
    - the same limits as :class:`AddDocument` per file; the same content as now changes nothing;
    - the new original is stored, the document goes back to ``queued`` with a new ``version``
      and its ingestion job is enqueued in the same unit of work; until the new chunks are
      written, searches keep finding the old ones;
    - ingestion embeds only the chunks whose text changed; the others keep their vectors;
    - the old original is removed once the new one is recorded;
    - while billing is on, the account's stored originals with the new one instead of the old
      stay within the plan's ``max_storage_mb`` (``plan_limit_reached``, 402; nothing changes).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, blobs: BlobStore, fetcher: UrlFetcher,
                 limits: DocumentLimits, plans: PlanLimits | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._fetcher = fetcher
        self._limits = limits
        self._plans = plans

    async def __call__(self, principal: Principal, agent_id: str, document_id: str,
                       upload: DocumentUpload | None = None, *, url: str | None = None,
                       title: str | None = None) -> tuple[Document, bool]:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            document = await find_own_document(uow, principal, agent, document_id)
            await refuse_qa_document(uow, document)
        if upload is None:
            assert url is not None, "a document needs an upload or a URL"
            upload = await _fetched(self._fetcher, url, title, self._limits)
        check_title(upload.title)
        check_upload_size(upload, self._limits)
        digest = bytes_hash(upload.data)
        if digest == document.content_hash and document.status != DocumentStatus.FAILED:
            return document, False
        plan = await self._plans.plan_limits(principal.account_id) if self._plans is not None else None
        async with self._uow(account_id=principal.account_id) as uow:
            plan_applies = await _lock_account(uow, principal.account_id, plan)
            await uow.documents.lock_knowledge_base(principal.account_id, agent.id, agent.embedding_model)
            current = await find_own_document(uow, principal, agent, document_id, for_update=True)
            if plan_applies:
                assert plan is not None
                stored = await uow.documents.account_totals(principal.account_id)
                enforce_document_limits(plan, stored.documents, stored.stored_bytes - current.size_bytes,
                                        len(upload.data), new_document=False)
            now = self._clock.now()
            replaced = msgspec.structs.replace(
                current, version=current.version + 1, status=DocumentStatus.QUEUED, error=None,
                progress_done=0, progress_total=0, content_hash=digest, size_bytes=len(upload.data),
                source=upload.source, source_url=upload.source_url, filename=upload.filename,
                content_type=upload.content_type, title=check_title(upload.title) or current.title, updated_at=now,
            )
            replaced = msgspec.structs.replace(replaced, blob_key=blob_key(replaced, digest))
            await self._blobs.put(replaced.blob_key, upload.data)
            try:
                await uow.documents.update(replaced)
                await uow.jobs.enqueue(ingest_job(replaced))
                await uow.commit()
            except BaseException:
                await self._blobs.delete(replaced.blob_key)
                raise
        if current.blob_key != replaced.blob_key:
            await self._blobs.delete(current.blob_key)
        return replaced, True


class ListDocuments:
    """The agent's documents, newest first, a page at a time (``limit`` 1–100; ``cursor`` the
    previous page's ``next_cursor``)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, *, limit: int = DEFAULT_PAGE_SIZE,
                       cursor: str | None = None) -> Page[Document]:
        check_page_size(limit)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await uow.documents.list_page(principal.account_id, agent.id, limit=limit + 1, after=after)
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(PageKey(created_at=items[-1].created_at, id=items[-1].id))
        return Page(items=items, next_cursor=next_cursor)


class GetDocument:
    """One document with its status, progress and error."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, document_id: str) -> Document:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await find_own_document(uow, principal, agent, document_id)


class DocumentNotReady(Conflict):
    code = "document_not_ready"
    title = "The document is not ready"


class GetDocumentText:
    """The text extracted from a ready document (``document_not_ready`` before)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, document_id: str) -> tuple[Document, str]:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            document = await find_own_document(uow, principal, agent, document_id)
            text = await uow.documents.get_text(principal.account_id, document.id)
        if text is None or document.status == DocumentStatus.FAILED:
            raise DocumentNotReady(f"The document is {document.status}; its text is available once it is ready.")
        return document, text


class DeleteDocument:
    """Delete a document with its text, chunks, vectors and original file, at once.

    Rules:
    - the document row (and its text) goes first, in a unit of work that also enqueues a purge
      job; then the chunks (under every model the knowledge base uses) and the files are removed
      right away. If the process dies in between, the job finishes the removal; an ingestion
      still running for the document finds it gone and removes what it wrote.
    """

    def __init__(self, uow: UnitOfWorkFactory, purge: PurgeDocumentData) -> None:
        self._uow = uow
        self._purge = purge

    async def __call__(self, principal: Principal, agent_id: str, document_id: str) -> None:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            document = await find_own_document(uow, principal, agent, document_id, for_update=True)
            base = await uow.documents.knowledge_base(principal.account_id, agent.id)
            models = [m for m in (document.embedding_model, agent.embedding_model,
                                  base and base.embedding_model, base and base.pending_model) if m]
            payload = {"account_id": principal.account_id, "agent_id": agent.id, "document_id": document.id,
                       "models": list(dict.fromkeys(models))}
            await uow.documents.delete(principal.account_id, document.id)
            await drop_url_source(uow, document)
            await uow.jobs.enqueue(NewJob(kind=PURGE_DOCUMENT, payload=payload, max_attempts=10))
            await uow.commit()
        await self._purge(principal.account_id, agent.id, document.id, payload["models"])


def reindex_job(document: Document) -> NewJob:
    """Rebuild the document's chunks (with its current title) in the background."""
    return NewJob(
        kind=REINDEX_DOCUMENT,
        payload={"account_id": document.account_id, "document_id": document.id, "version": document.version},
        max_attempts=10,
    )


class RenameDocument:
    """Change a document's title (``PATCH …/documents/{id}``).

    Rules:
    - the title is one line of 1–300 characters without control characters (``invalid_title``);
    - the title is searched with every chunk, so a ready document is re-indexed in the
      background (the job is enqueued in the same unit of work); its old chunks answer
      searches until the new ones replace them in one transaction. A document not ready yet
      gets the title when its ingestion finishes.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, document_id: str, title: str | None) -> Document:
        checked = check_title(title)
        if checked is None:
            raise InvalidInput("Give the document a title.", code="invalid_title", field="title")
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            current = await find_own_document(uow, principal, agent, document_id, for_update=True)
            await refuse_qa_document(uow, current)
            if current.title == checked:
                return current
            renamed = msgspec.structs.replace(current, title=checked, updated_at=self._clock.now())
            await uow.documents.update(renamed)
            if renamed.status is DocumentStatus.READY:
                await uow.jobs.enqueue(reindex_job(renamed))
            await uow.commit()
        return renamed
