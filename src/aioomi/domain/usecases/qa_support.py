"""What the question-and-answer use cases share: the agent's ``qa`` source (made with its first
pair), finding the owner's pair, and writing pairs as documents (each new or changed pair
stored and queued for ingestion)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.billing import DocumentQuota
from aioomi.domain.model.documents import (
    DOCUMENT_ID_PREFIX,
    Document,
    DocumentLimits,
    DocumentSource,
    DocumentStatus,
    KnowledgeBaseFull,
    TooManyDocuments,
    agent_chars_problem,
    bytes_hash,
)
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.qa_pairs import QA_SOURCE_NAME, QaPair, QaPairInput, QaPairNotFound, pair_text
from aioomi.domain.model.sources import SOURCE_ID_PREFIX, Source, SourceKind, SourceSettings, SyncSchedule
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.knowledge.support import blob_key
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.unit_of_work import UnitOfWork


async def qa_source(uow: UnitOfWork, agent: Agent, *, create: bool, now: datetime | None = None) -> Source | None:
    """The agent's ``qa`` source; with ``create``, made (and added) when it has none."""
    found = await uow.sources.list_for_agent(agent.account_id, agent.id, kind=SourceKind.QA)
    if found or not create:
        return found[0] if found else None
    assert now is not None
    source = Source(
        id=new_id(SOURCE_ID_PREFIX),
        account_id=agent.account_id,
        agent_id=agent.id,
        kind=SourceKind.QA,
        name=QA_SOURCE_NAME,
        settings=SourceSettings(),
        schedule=SyncSchedule.OFF,
        created_at=now,
        updated_at=now,
    )
    await uow.sources.add(source)
    return source


async def find_own_pair(uow: UnitOfWork, principal: Principal, agent: Agent, pair_id: str) -> QaPair:
    pair = None
    if is_id(pair_id, DOCUMENT_ID_PREFIX):
        pair = await uow.sources.get_pair(principal.workspace_id, pair_id)
    if pair is None or pair.agent_id != agent.id:
        raise QaPairNotFound("No such question-and-answer pair.")
    return pair


class PairWriter:
    """Writes pairs as documents in one unit of work: the caller holds the knowledge-base lock,
    then calls :meth:`write` per pair, commits, and calls :meth:`done` (or :meth:`undo` when the
    unit of work failed) to remove the files no longer needed. With a ``quota`` (the plan's,
    read under the per-account lock the caller took before the knowledge-base lock), every new
    or changed pair is admitted by the plan's document and storage limits, as an upload is."""

    def __init__(
        self,
        uow: UnitOfWork,
        blobs: BlobStore,
        limits: DocumentLimits,
        agent: Agent,
        source: Source,
        now: datetime,
        quota: DocumentQuota | None = None,
    ) -> None:
        self._uow, self._blobs, self._limits, self._quota = uow, blobs, limits, quota
        self._agent, self._source, self._now = agent, source, now
        self._written: list[str] = []
        self._replaced: list[str] = []
        self._totals: tuple[int, int] | None = None

    async def write(self, current: QaPair | None, given: QaPairInput) -> tuple[QaPair, bool]:
        """The pair as stored, and whether anything changed (a changed pair's document gets a
        new version and is ingested again; an unchanged one is left alone)."""
        uow, account_id = self._uow, self._agent.account_id
        if current is not None and (current.question, current.answer, current.alternatives) == (
            given.question,
            given.answer,
            given.alternatives,
        ):
            return current, False
        text = pair_text(given)
        data = text.encode("utf-8")
        digest = bytes_hash(data)
        if self._totals is None:
            totals = await uow.documents.totals(account_id, self._agent.id)
            self._totals = (totals.documents, totals.characters)
        documents, characters = self._totals
        if current is None:
            if documents >= self._limits.max_documents_per_agent:
                raise TooManyDocuments(
                    f"An agent can have at most {self._limits.max_documents_per_agent:,} documents; remove some first."
                )
            problem = agent_chars_problem(characters, len(text), self._limits)
            if problem is not None:
                raise KnowledgeBaseFull(problem)
            if self._quota is not None:
                self._quota.admit(len(data))
            document = Document(
                id=new_id(DOCUMENT_ID_PREFIX),
                account_id=account_id,
                agent_id=self._agent.id,
                title=given.question,
                source=DocumentSource.TEXT,
                filename="qa.md",
                content_type="text/markdown",
                status=DocumentStatus.QUEUED,
                content_hash=digest,
                blob_key="",
                size_bytes=len(data),
                created_at=self._now,
                updated_at=self._now,
                source_id=self._source.id,
            )
            self._totals = (documents + 1, characters + len(text))
        else:
            existing = await uow.documents.get(account_id, current.id, for_update=True)
            if existing is None:
                raise QaPairNotFound("No such question-and-answer pair.")
            # the new text takes the place of the old one in the agent's characters
            problem = agent_chars_problem(characters - existing.char_count, len(text), self._limits)
            if problem is not None:
                raise KnowledgeBaseFull(problem)
            if self._quota is not None:
                self._quota.admit(len(data), replacing_bytes=existing.size_bytes)
            self._totals = (documents, characters - existing.char_count + len(text))
            document = msgspec.structs.replace(
                existing,
                version=existing.version + 1,
                status=DocumentStatus.QUEUED,
                error=None,
                progress_done=0,
                progress_total=0,
                content_hash=digest,
                size_bytes=len(data),
                title=given.question,
                updated_at=self._now,
            )
            self._replaced.append(existing.blob_key)
        document = msgspec.structs.replace(document, blob_key=blob_key(document, digest))
        await self._blobs.put(document.blob_key, data)
        self._written.append(document.blob_key)
        if current is None:
            await uow.documents.add(document)
        else:
            await uow.documents.update(document)
        await uow.jobs.enqueue(ingest_job(document))
        pair = QaPair(
            id=document.id,
            account_id=account_id,
            agent_id=self._agent.id,
            source_id=self._source.id,
            question=given.question,
            answer=given.answer,
            alternatives=given.alternatives,
            created_at=current.created_at if current else self._now,
            updated_at=self._now,
        )
        await uow.sources.save_pair(pair)
        return pair, True

    async def done(self) -> None:
        for key in self._replaced:
            if key not in self._written:
                await self._blobs.delete(key)

    async def undo(self) -> None:
        for key in self._written:
            await self._blobs.delete(key)
