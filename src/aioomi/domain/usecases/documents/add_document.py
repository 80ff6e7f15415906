"""The AddDocument use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.billing import Plan
from aioomi.domain.model.documents import (
    DOCUMENT_ID_PREFIX,
    Document,
    DocumentLimits,
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
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.documents.support import _fetched
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.knowledge.support import blob_key
from aioomi.domain.usecases.plan_quota import lock_document_quota, plan_of
from aioomi.domain.usecases.source_support import source_for_document
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory
from aioomi.ports.url_fetcher import UrlFetcher


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

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        blobs: BlobStore,
        fetcher: UrlFetcher,
        limits: DocumentLimits,
        plans: PlanLimits | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._fetcher = fetcher
        self._limits = limits
        self._plans = plans

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        upload: DocumentUpload | None = None,
        *,
        url: str | None = None,
        title: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Document, bool]:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        key = check_idempotency_key(idempotency_key)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            earlier = (
                await uow.documents.find_by_idempotency_key(principal.workspace_id, agent.id, key) if key else None
            )
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
            id=new_id(DOCUMENT_ID_PREFIX),
            account_id=principal.workspace_id,
            agent_id=agent.id,
            title=default_title(upload),
            source=upload.source,
            source_url=upload.source_url,
            filename=upload.filename,
            content_type=upload.content_type,
            status=DocumentStatus.QUEUED,
            content_hash=digest,
            blob_key="",
            size_bytes=len(upload.data),
            idempotency_key=key,
            created_at=now,
            updated_at=now,
        )
        document = msgspec.structs.replace(document, blob_key=blob_key(document, digest))
        plan = await plan_of(self._plans, principal.workspace_id)
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

    async def _record(
        self, agent: Agent, document: Document, upload: DocumentUpload, plan: Plan | None
    ) -> tuple[Document | None, Document]:
        """(the existing document the upload turned out to be, or None; the stored document)."""
        account_id = document.account_id
        async with self._uow(account_id=account_id) as uow:
            quota = await lock_document_quota(uow, account_id, plan)
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
            if quota is not None:
                quota.admit(document.size_bytes)
            document = msgspec.structs.replace(
                document, source_id=await source_for_document(uow, document, document.created_at)
            )
            await uow.documents.add(document)
            await uow.jobs.enqueue(ingest_job(document))
            await uow.commit()
        return None, document
