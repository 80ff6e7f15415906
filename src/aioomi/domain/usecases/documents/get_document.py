"""GetDocument: One document with its status, progress and error."""

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
from aioomi.domain.usecases.documents.support import find_own_document


class GetDocument:
    """One document with its status, progress and error."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, document_id: str) -> Document:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await find_own_document(uow, principal, agent, document_id)
