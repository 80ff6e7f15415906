"""ReplaceDocument: Give a document new content (a file, a text or a URL), keeping its id."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import (
    Document,
    DocumentLimits,
    DocumentStatus,
    DocumentUpload,
    bytes_hash,
    check_title,
    check_upload_size,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.documents.support import _fetched, find_own_document
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.knowledge.support import blob_key
from aioomi.domain.usecases.plan_quota import lock_document_quota, plan_of
from aioomi.domain.usecases.source_support import refuse_qa_document
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory
from aioomi.ports.url_fetcher import UrlFetcher


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
        document_id: str,
        upload: DocumentUpload | None = None,
        *,
        url: str | None = None,
        title: str | None = None,
    ) -> tuple[Document, bool]:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
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
        plan = await plan_of(self._plans, principal.workspace_id)
        async with self._uow(account_id=principal.workspace_id) as uow:
            quota = await lock_document_quota(uow, principal.workspace_id, plan)
            await uow.documents.lock_knowledge_base(principal.workspace_id, agent.id, agent.embedding_model)
            current = await find_own_document(uow, principal, agent, document_id, for_update=True)
            if quota is not None:
                quota.admit(len(upload.data), replacing_bytes=current.size_bytes)
            now = self._clock.now()
            replaced = msgspec.structs.replace(
                current,
                version=current.version + 1,
                status=DocumentStatus.QUEUED,
                error=None,
                progress_done=0,
                progress_total=0,
                content_hash=digest,
                size_bytes=len(upload.data),
                source=upload.source,
                source_url=upload.source_url,
                filename=upload.filename,
                content_type=upload.content_type,
                title=check_title(upload.title) or current.title,
                updated_at=now,
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
