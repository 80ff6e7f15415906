"""Storing chunks with their vectors, and searching them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from aioomi.domain.model.knowledge import EmbeddedChunk, LexicalIndexKey, ScoredChunk, StoredChunk


class ChunkStore(Protocol):
    """The knowledge bases' chunks, searchable by meaning (vectors) and by words (BM25).

    Tenant isolation: every row carries ``account_id`` and ``agent_id`` and every call filters
    by both, so no call can see or change another agent's chunks. Vectors of different
    embedding models are never compared: a search looks only at chunks embedded with the
    query's model. Each call commits on its own.
    """

    async def replace_document(
        self,
        *,
        account_id: str,
        agent_id: str,
        document_id: str,
        embedding_model: str,
        chunks: Sequence[EmbeddedChunk],
    ) -> list[str]:
        """Make ``chunks`` the document's only chunks, in one transaction: a reader sees the
        old set or the new one, never a mix. Returns the new chunk ids in order. Raises
        :class:`~aioomi.domain.model.knowledge.EmbeddingDimensionMismatch` when the vectors differ in size."""
        ...

    async def existing_embeddings(
        self,
        *,
        account_id: str,
        agent_id: str,
        document_id: str,
        embedding_model: str,
        content_hashes: Collection[str],
    ) -> dict[str, list[float]]:
        """Vectors already stored for this document under ``embedding_model``, by content
        hash, for the hashes asked: the chunks whose text did not change need no new embedding."""
        ...

    async def delete_document(self, *, account_id: str, agent_id: str, document_id: str) -> int:
        """Remove the document's chunks; return how many."""
        ...

    async def delete_agent(self, *, account_id: str, agent_id: str) -> int:
        """Remove every chunk of the agent; return how many."""
        ...

    async def search(
        self,
        *,
        account_id: str,
        agent_id: str,
        query_text: str,
        query_vector: Sequence[float] | None,
        embedding_model: str,
        top_k: int,
        min_similarity: float = 0.0,
    ) -> list[ScoredChunk]:
        """The ``top_k`` chunks of the agent that best match, best first: hybrid of the dense
        signal (cosine similarity to ``query_vector``, if given) and the lexical one (BM25 over
        the words of ``query_text``, any word may match), fused by reciprocal rank. A dense hit
        under ``min_similarity`` counts only if the lexical signal found it too. A store may
        bring each hit's document (title, page address) in ``ScoredChunk.document``, read in
        the same statement; ``None`` leaves it to the caller to read."""
        ...

    async def count(self, *, account_id: str, agent_id: str, document_id: str | None = None) -> int:
        """How many chunks the agent (or one of its documents) has."""
        ...

    async def list_document(self, *, account_id: str, agent_id: str, document_id: str) -> list[StoredChunk]:
        """The document's chunks in order (for display, export and tests)."""
        ...


class LexicalIndexMaintenance(Protocol):
    """The background side of the lexical index: impacts computed with a reference average
    length that has drifted (or was never set, after migration 0016) are recomputed. Searches
    keep working throughout; only the order in which a very common term's postings are read
    changes, never a score."""

    async def stale_lexical_indexes(self, *, limit: int) -> list[LexicalIndexKey]:
        """Up to ``limit`` indexes (any account) whose impacts need recomputing, by
        :func:`~aioomi.domain.model.knowledge.impacts_stale` with the store's drift bound."""
        ...

    async def refresh_lexical_impacts(self, key: LexicalIndexKey, *, page_chunks: int = 500) -> int:
        """Recompute one index's impacts with its current average length, ``page_chunks``
        chunks per transaction; return how many postings were rewritten."""
        ...
