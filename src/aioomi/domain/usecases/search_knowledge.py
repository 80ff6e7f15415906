"""SearchKnowledge: the chunks of an agent's knowledge base that best answer a question."""

from __future__ import annotations

from aioomi.domain.model.agents import AgentNotFound
from aioomi.domain.model.documents import DocumentHit, document_of
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.knowledge import MAX_QUERY_CHARS, EmbeddingUnavailable, RetrievalSettings
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SearchKnowledge:
    """Search an agent's knowledge base (the chat's retrieval and the owner's "test retrieval").

    Rules:
    - the agent must belong to ``account_id`` (otherwise ``agent_not_found``);
    - hybrid search: dense (the query embedded with the knowledge base's current model, compared
      only with vectors of that model) and lexical (BM25), fused by reciprocal rank in the chunk
      store; while a re-embedding runs, the old model's chunks keep answering;
    - ``top_k`` (1–100) and ``min_score`` (the minimum cosine similarity of a dense hit; a
      chunk under it still counts when it shares words with the query) default to the agent's
      retrieval settings;
    - if the embedding provider is unavailable the search is lexical only, rather than failing;
    - each hit names its document (id, title), its position in it and its score; chunks of a
      document deleted meanwhile are left out.
    """

    def __init__(self, uow: UnitOfWorkFactory, chunk_store: ChunkStore, embedders: EmbedderCatalog) -> None:
        self._uow = uow
        self._chunks = chunk_store
        self._embedders = embedders

    async def __call__(self, account_id: str, agent_id: str, query: str, top_k: int | None = None,
                       min_score: float | None = None) -> list[DocumentHit]:
        text = query.strip()
        if not text:
            raise InvalidInput("Ask something: the query is empty.", code="invalid_query", field="query")
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidInput(f"Use at most {MAX_QUERY_CHARS:,} characters.", code="invalid_query", field="query")
        async with self._uow(account_id=account_id) as uow:
            agent = await uow.agents.get(account_id, agent_id) if is_id(agent_id, "agt") else None
            if agent is None:
                raise AgentNotFound("No such agent.")
            base = await uow.documents.knowledge_base(account_id, agent_id)
        model = base.embedding_model if base is not None else agent.embedding_model
        settings = RetrievalSettings(
            top_k=agent.retrieval.top_k if top_k is None else top_k,
            min_similarity=agent.retrieval.min_relevance if min_score is None else min_score,
        )
        vector = None
        embedder = self._embedders.get(model)
        if embedder is not None:
            try:
                vector = (await embedder.embed([text]))[0]
            except EmbeddingUnavailable:
                vector = None
        hits = await self._chunks.search(
            account_id=account_id, agent_id=agent_id, query_text=text, query_vector=vector,
            embedding_model=model, top_k=settings.top_k, min_similarity=settings.min_similarity,
        )
        if not hits:
            return []
        async with self._uow(account_id=account_id) as uow:
            documents = await uow.documents.get_many(account_id, {document_of(h.document_id) for h in hits})
        return [
            DocumentHit(
                document_id=doc.id, document_title=doc.title, chunk_id=h.chunk_id, position=h.position,
                text=h.text, heading_path=h.heading_path, score=h.score, similarity=h.similarity,
            )
            for h in hits
            if (doc := documents.get(document_of(h.document_id))) is not None
        ]
