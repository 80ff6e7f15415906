"""The ListDocuments use case."""

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
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.knowledge.ingest_document import ingest_job
from aioomi.domain.usecases.knowledge.purge_document_data import PurgeDocumentData
from aioomi.domain.usecases.knowledge.support import blob_key
from aioomi.domain.usecases.source_support import drop_url_source, refuse_qa_document, source_for_document
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from aioomi.ports.url_fetcher import UrlFetcher


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
