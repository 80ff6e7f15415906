"""The chunk store in memory: exact cosine search and BM25 in numpy and Python, with the
semantics of the Postgres store (same stemmer and stop words, same fusion)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Sequence

import msgspec
import numpy as np

from aioomi.adapters.memory.english_terms import english_terms
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import (
    MAX_QUERY_CHARS,
    TITLE_TERM_WEIGHT,
    Bm25,
    EmbeddedChunk,
    HybridFusion,
    ScoredChunk,
    SearchCandidate,
    StoredChunk,
    candidate_pool,
    check_embeddings,
    check_top_k,
    fuse,
    fusion_for,
)


class _Row(msgspec.Struct, kw_only=True):
    stored: StoredChunk
    vector: np.ndarray
    terms: Counter[str]
    length: int


class InMemoryChunkStore:
    """See :class:`aioomi.ports.chunk_store.ChunkStore`. Search is exact (no index), which
    is what the Postgres store's approximate index is measured against."""

    def __init__(self, fusion: HybridFusion | None = None, bm25: Bm25 | None = None) -> None:
        self._fusion = fusion
        self._bm25 = bm25 or Bm25()
        self._rows: dict[str, _Row] = {}
        self._lock = asyncio.Lock()

    def _of(self, account_id: str, agent_id: str, document_id: str | None = None) -> list[_Row]:
        return [
            r for r in self._rows.values()
            if r.stored.account_id == account_id and r.stored.agent_id == agent_id
            and (document_id is None or r.stored.document_id == document_id)
        ]

    async def replace_document(
        self, *, account_id: str, agent_id: str, document_id: str, embedding_model: str,
        chunks: Sequence[EmbeddedChunk],
    ) -> list[str]:
        dims = check_embeddings(chunks)
        new_rows = []
        for item in chunks:
            # tf = body tf + TITLE_TERM_WEIGHT x tf in the title and heading path, as in Postgres.
            terms = Counter(english_terms(item.chunk.text))
            for term, tf in Counter(english_terms(" ".join((item.chunk.title, *item.chunk.heading_path)))).items():
                terms[term] += TITLE_TERM_WEIGHT * tf
            stored = StoredChunk(
                id=new_id("chk"), account_id=account_id, agent_id=agent_id, document_id=document_id,
                chunk=item.chunk, embedding_model=embedding_model, dimensions=dims,
            )
            # Stored as half precision, like the Postgres halfvec column.
            vector = np.asarray(item.embedding, dtype=np.float16).astype(np.float32)
            new_rows.append(_Row(stored=stored, vector=vector, terms=terms, length=sum(terms.values())))
        async with self._lock:
            for row in self._of(account_id, agent_id, document_id):
                del self._rows[row.stored.id]
            for row in new_rows:
                self._rows[row.stored.id] = row
        return [r.stored.id for r in new_rows]

    async def existing_embeddings(
        self, *, account_id: str, agent_id: str, document_id: str, embedding_model: str,
        content_hashes: Collection[str],
    ) -> dict[str, list[float]]:
        wanted = set(content_hashes)
        return {
            r.stored.chunk.content_hash: r.vector.tolist()
            for r in self._of(account_id, agent_id, document_id)
            if r.stored.embedding_model == embedding_model and r.stored.chunk.content_hash in wanted
        }

    async def delete_document(self, *, account_id: str, agent_id: str, document_id: str) -> int:
        async with self._lock:
            doomed = self._of(account_id, agent_id, document_id)
            for row in doomed:
                del self._rows[row.stored.id]
        return len(doomed)

    async def delete_agent(self, *, account_id: str, agent_id: str) -> int:
        async with self._lock:
            doomed = self._of(account_id, agent_id)
            for row in doomed:
                del self._rows[row.stored.id]
        return len(doomed)

    async def count(self, *, account_id: str, agent_id: str, document_id: str | None = None) -> int:
        return len(self._of(account_id, agent_id, document_id))

    async def list_document(self, *, account_id: str, agent_id: str, document_id: str) -> list[StoredChunk]:
        rows = self._of(account_id, agent_id, document_id)
        return [r.stored for r in sorted(rows, key=lambda r: r.stored.chunk.position)]

    async def search(
        self, *, account_id: str, agent_id: str, query_text: str, query_vector: Sequence[float] | None,
        embedding_model: str, top_k: int, min_similarity: float = 0.0,
    ) -> list[ScoredChunk]:
        check_top_k(top_k)
        pool = candidate_pool(top_k)
        rows = [r for r in self._of(account_id, agent_id) if r.stored.embedding_model == embedding_model]
        similarity: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        if query_vector is not None and rows:
            query = np.asarray(query_vector, dtype=np.float16).astype(np.float32)
            same = [r for r in rows if r.stored.dimensions == len(query)]
            if same and np.linalg.norm(query) > 0:
                matrix = np.stack([r.vector for r in same])
                norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(query)
                sims = (matrix @ query) / np.where(norms == 0, 1, norms)
                order = sorted(range(len(same)), key=lambda i: (-sims[i], same[i].stored.id))[:pool]
                for rank, i in enumerate(order, start=1):
                    similarity[same[i].stored.id] = float(sims[i])
                    dense_rank[same[i].stored.id] = rank
        lexical_rank = self._bm25_ranks(rows, query_text[:MAX_QUERY_CHARS], pool)
        by_id = {r.stored.id: r.stored for r in rows}
        candidates = [
            SearchCandidate(
                chunk_id=cid, document_id=by_id[cid].document_id, position=by_id[cid].chunk.position,
                text=by_id[cid].chunk.text, heading_path=by_id[cid].chunk.heading_path,
                similarity=similarity.get(cid), dense_rank=dense_rank.get(cid), lexical_rank=lexical_rank.get(cid),
            )
            for cid in dense_rank.keys() | lexical_rank.keys()
        ]
        fusion = self._fusion or fusion_for(embedding_model)
        return fuse(candidates, top_k=top_k, min_similarity=min_similarity, fusion=fusion)

    def _bm25_ranks(self, rows: list[_Row], query_text: str, pool: int) -> dict[str, int]:
        terms = set(english_terms(query_text))
        if not terms or not rows:
            return {}
        avg_length = sum(r.length for r in rows) / len(rows)
        doc_freq = {t: sum(1 for r in rows if t in r.terms) for t in terms}
        idf = {t: self._bm25.idf(len(rows), df) for t, df in doc_freq.items()}
        scores = {}
        for r in rows:
            matched = terms & r.terms.keys()
            if matched:
                scores[r.stored.id] = sum(
                    self._bm25.term_score(r.terms[t], r.length, avg_length, idf[t]) for t in matched
                )
        order = sorted(scores, key=lambda cid: (-scores[cid], cid))[:pool]
        return {cid: rank for rank, cid in enumerate(order, start=1)}
