"""SearchKnowledge: the chunks of an agent's knowledge base that best answer a question, and
only those relevant enough to answer from (the relevance gate)."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.agents import Agent, AgentNotFound
from aioomi.domain.model.documents import (
    DocumentHit,
    DocumentSource,
    KnowledgeBase,
    KnowledgeBaseTotals,
    document_of,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.knowledge import (
    CHARS_PER_CHUNK,
    MAX_QUERY_CHARS,
    MAX_TOP_K,
    EmbeddingUnavailable,
    HitDocument,
    RelevanceScale,
    RerankUnavailable,
    RetrievalSettings,
    ScoredChunk,
    passage_relevance,
    relevance_scale,
    rerank_relevance_scale,
)
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.reranker import Reranker
from aioomi.ports.unit_of_work import UnitOfWorkFactory


def rerank_pool(top_k: int) -> int:
    """How many fused candidates the reranker and the gate choose the ``top_k`` from."""
    return min(max(2 * top_k, 20), MAX_TOP_K)


class SearchKnowledge:
    """Search an agent's knowledge base (the chat's retrieval and the owner's "test retrieval").

    Rules:
    - the agent must belong to ``account_id`` (otherwise ``agent_not_found``);
    - hybrid search: dense (the query embedded with the knowledge base's current model, compared
      only with vectors of that model) and lexical (BM25, titles and headings weighted), fused by
      reciprocal rank in the chunk store; while a re-embedding runs, the old model's chunks keep
      answering;
    - with a reranker configured, the fused candidates are reordered by it; a reranker that
      fails or times out leaves the fused order (the search never fails for it);
    - the relevance gate: each hit's relevance is, when the reranker scored it, its reranker
      score on the reranker's 0–1 scale (``rerank_scale``); otherwise its cosine similarity on
      the embedding model's calibrated 0–1 scale
      (:func:`~aioomi.domain.model.knowledge.relevance_scale`, for the knowledge base's size in
      chunks, estimated from its characters) — :func:`~aioomi.domain.model.knowledge.passage_relevance`.
      A hit under ``min_relevance`` (default: the agent's) is dropped, as is a hit nothing
      measured (lexical only, not reranked). If the embedding provider is unavailable and no
      reranker answered, nothing can be measured: the lexical hits pass ungated rather than
      failing the search;
    - ``top_k`` (1–100, default the agent's) hits at most, best first;
    - each hit names its document (id, title, and address for a fetched page), its position and
      its scores; chunks of a document deleted meanwhile are left out.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        chunk_store: ChunkStore,
        embedders: EmbedderCatalog,
        reranker: Reranker | None = None,
        rerank_scale: RelevanceScale | None = None,
    ) -> None:
        self._uow = uow
        self._chunks = chunk_store
        self._embedders = embedders
        self._reranker = reranker
        self._rerank_scale = rerank_scale or rerank_relevance_scale()

    async def __call__(
        self,
        account_id: str,
        agent_id: str,
        query: str,
        top_k: int | None = None,
        min_relevance: float | None = None,
        *,
        agent: Agent | None = None,
        knowledge: tuple[KnowledgeBase | None, KnowledgeBaseTotals] | None = None,
    ) -> list[DocumentHit]:
        """``agent``: the agent when the caller holds it already (a chat turn), so it is not
        read again; it must be the one ``account_id`` and ``agent_id`` name. ``knowledge``:
        that agent's knowledge base and totals, when the caller read them (a chat turn reads
        them with its one read); only with ``agent``."""
        text = query.strip()
        if not text:
            raise InvalidInput("Ask something: the query is empty.", code="invalid_query", field="query")
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidInput(f"Use at most {MAX_QUERY_CHARS:,} characters.", code="invalid_query", field="query")
        if min_relevance is not None and not 0.0 <= min_relevance <= 1.0:
            raise InvalidInput("min_relevance must be between 0 and 1.", code="invalid_query", field="min_relevance")
        if agent is not None and (agent.account_id, agent.id) != (account_id, agent_id):
            agent, knowledge = None, None
        if agent is None or knowledge is None:
            async with self._uow(account_id=account_id, read_only=True) as uow:
                if agent is None:
                    agent = await uow.agents.get(account_id, agent_id) if is_id(agent_id, "agt") else None
                if agent is None:
                    raise AgentNotFound("No such agent.")
                knowledge = await uow.documents.knowledge_base_with_totals(account_id, agent_id)
        base, totals = knowledge
        model = base.embedding_model if base is not None else agent.embedding_model
        settings = RetrievalSettings(top_k=agent.retrieval.top_k if top_k is None else top_k)
        gate = agent.retrieval.min_relevance if min_relevance is None else min_relevance
        vector = None
        embedder = self._embedders.get(model)
        if embedder is not None:
            try:
                vector = (await embedder.embed([text]))[0]
            except EmbeddingUnavailable:
                vector = None
        candidates = await self._chunks.search(
            account_id=account_id,
            agent_id=agent_id,
            query_text=text,
            query_vector=vector,
            embedding_model=model,
            top_k=rerank_pool(settings.top_k),
            min_similarity=-1.0,
        )
        candidates, reranked = await self._reranked(text, candidates)
        scale = relevance_scale(model, chunks=totals.characters // CHARS_PER_CHUNK)
        relevance = {
            c.chunk_id: passage_relevance(
                c.similarity, c.score if reranked else None, dense=scale, rerank=self._rerank_scale
            )
            for c in candidates
        }
        if vector is not None or reranked:
            candidates = [c for c in candidates if (r := relevance[c.chunk_id]) is not None and r >= gate]
        hits = candidates[: settings.top_k]
        if not hits:
            return []
        # The store may bring each hit's document with it; only the others are read here (and a
        # document deleted meanwhile is found by neither: its chunks are left out).
        found = {document_of(h.document_id): h.document for h in hits if h.document is not None}
        missing = {document_of(h.document_id) for h in hits} - found.keys()
        if missing:
            async with self._uow(account_id=account_id, read_only=True) as uow:
                documents = await uow.documents.get_many(account_id, missing)
            found |= {
                doc_id: HitDocument(
                    title=doc.title, source_url=doc.source_url if doc.source is DocumentSource.URL else None
                )
                for doc_id, doc in documents.items()
            }
        return [
            DocumentHit(
                document_id=doc_id,
                document_title=doc.title,
                chunk_id=h.chunk_id,
                position=h.position,
                text=h.text,
                heading_path=h.heading_path,
                score=h.score,
                similarity=h.similarity,
                relevance=relevance[h.chunk_id],
                source_url=doc.source_url,
            )
            for h in hits
            if (doc := found.get(doc_id := document_of(h.document_id))) is not None
        ]

    async def _reranked(self, query: str, candidates: list[ScoredChunk]) -> tuple[list[ScoredChunk], bool]:
        """``candidates`` in the reranker's order with its score as ``score`` and ``True``, or
        as they were and ``False`` (no reranker, or it failed)."""
        if self._reranker is None or not candidates:
            return candidates, False
        try:
            scores = await self._reranker.rerank(query, [c.text for c in candidates])
        except RerankUnavailable:
            return candidates, False
        if len(scores) != len(candidates):
            return candidates, False
        order = sorted(range(len(candidates)), key=lambda i: -scores[i])
        return [msgspec.structs.replace(candidates[i], score=scores[i]) for i in order], True
