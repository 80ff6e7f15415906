"""The GetKnowledgeBase use case."""

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
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.knowledge.ingest_document import EmbeddingBatches, embed_chunks
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.chunker import Chunker
from aioomi.ports.clock import Clock
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory


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
