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
    LexicalIndex,
    LexicalIndexKey,
    ScoredChunk,
    SearchCandidate,
    StoredChunk,
    bm25_impact,
    candidate_pool,
    check_embeddings,
    check_top_k,
    fuse,
    fusion_for,
    impacts_stale,
    selective_terms,
)


class _Row(msgspec.Struct, kw_only=True):
    stored: StoredChunk
    vector: np.ndarray
    terms: Counter[str]
    length: int
    # Per term, its BM25 impact as the Postgres store keeps it (a 4-byte float, computed with
    # the agent's reference average length at write time).
    impacts: dict[str, float] = msgspec.field(default_factory=dict)


class InMemoryChunkStore:
    """See :class:`aioomi.ports.chunk_store.ChunkStore`. Search is exact (no index), which
    is what the Postgres store's approximate index is measured against."""

    def __init__(
        self, fusion: HybridFusion | None = None, bm25: Bm25 | None = None, lexical: LexicalIndex | None = None
    ) -> None:
        self._fusion = fusion
        self._bm25 = bm25 or Bm25()
        self._lexical = lexical or LexicalIndex()
        self._rows: dict[str, _Row] = {}
        # Per lexical index, the average length its impacts were computed with (None: not all).
        self._reference: dict[LexicalIndexKey, float | None] = {}
        self._lock = asyncio.Lock()

    def _of(self, account_id: str, agent_id: str, document_id: str | None = None) -> list[_Row]:
        return [
            r
            for r in self._rows.values()
            if r.stored.account_id == account_id
            and r.stored.agent_id == agent_id
            and (document_id is None or r.stored.document_id == document_id)
        ]

    async def replace_document(
        self,
        *,
        account_id: str,
        agent_id: str,
        document_id: str,
        embedding_model: str,
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
                id=new_id("chk"),
                account_id=account_id,
                agent_id=agent_id,
                document_id=document_id,
                chunk=item.chunk,
                embedding_model=embedding_model,
                dimensions=dims,
            )
            # Stored as half precision, like the Postgres halfvec column.
            vector = np.asarray(item.embedding, dtype=np.float16).astype(np.float32)
            new_rows.append(_Row(stored=stored, vector=vector, terms=terms, length=sum(terms.values())))
        async with self._lock:
            for row in self._of(account_id, agent_id, document_id):
                del self._rows[row.stored.id]
            self._forget_empty_indexes()
            if new_rows:
                self._index(
                    LexicalIndexKey(account_id=account_id, agent_id=agent_id, embedding_model=embedding_model), new_rows
                )
            for row in new_rows:
                self._rows[row.stored.id] = row
        return [r.stored.id for r in new_rows]

    def _rows_of(self, key: LexicalIndexKey) -> list[_Row]:
        return [r for r in self._of(key.account_id, key.agent_id) if r.stored.embedding_model == key.embedding_model]

    def _index(self, key: LexicalIndexKey, new_rows: list[_Row]) -> None:
        """The impacts of ``new_rows``, with the reference length the Postgres store would use."""
        own_total = sum(r.length for r in new_rows)
        own_avg = own_total / len(new_rows) if own_total > 0 else None
        existing = self._rows_of(key)
        if existing:
            reference = self._reference.get(key)
            total = sum(r.length for r in existing)
            if reference is None and total > 0:
                reference = total / len(existing)
        else:
            reference = self._reference[key] = own_avg
        reference = reference if reference is not None else own_avg
        if reference is None:  # every row is empty: no terms to weigh
            for row in new_rows:
                row.impacts = {}
            return
        for row in new_rows:
            row.impacts = {t: _real(bm25_impact(self._bm25, tf, row.length, reference)) for t, tf in row.terms.items()}

    def _forget_empty_indexes(self) -> None:
        held = {
            LexicalIndexKey(
                account_id=r.stored.account_id, agent_id=r.stored.agent_id, embedding_model=r.stored.embedding_model
            )
            for r in self._rows.values()
        }
        for key in self._reference.keys() - held:
            del self._reference[key]

    async def stale_lexical_indexes(self, *, limit: int) -> list[LexicalIndexKey]:
        stale = []
        for key in self._reference:
            rows = self._rows_of(key)
            total = sum(r.length for r in rows)
            if (
                rows
                and total > 0
                and impacts_stale(self._reference[key], total / len(rows), self._lexical.impact_drift)
            ):
                stale.append(key)
        return sorted(stale, key=lambda k: (k.account_id, k.agent_id, k.embedding_model))[:limit]

    async def refresh_lexical_impacts(self, key: LexicalIndexKey, *, page_chunks: int = 500) -> int:
        async with self._lock:
            rows = self._rows_of(key)
            total = sum(r.length for r in rows)
            if not rows or total == 0:
                return 0
            reference = self._reference[key] = total / len(rows)
            for row in rows:
                row.impacts = {
                    t: _real(bm25_impact(self._bm25, tf, row.length, reference)) for t, tf in row.terms.items()
                }
            return sum(len(r.impacts) for r in rows)

    async def existing_embeddings(
        self,
        *,
        account_id: str,
        agent_id: str,
        document_id: str,
        embedding_model: str,
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
            self._forget_empty_indexes()
        return len(doomed)

    async def delete_agent(self, *, account_id: str, agent_id: str) -> int:
        async with self._lock:
            doomed = self._of(account_id, agent_id)
            for row in doomed:
                del self._rows[row.stored.id]
            self._forget_empty_indexes()
        return len(doomed)

    async def count(self, *, account_id: str, agent_id: str, document_id: str | None = None) -> int:
        return len(self._of(account_id, agent_id, document_id))

    async def list_document(self, *, account_id: str, agent_id: str, document_id: str) -> list[StoredChunk]:
        rows = self._of(account_id, agent_id, document_id)
        return [r.stored for r in sorted(rows, key=lambda r: r.stored.chunk.position)]

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
                chunk_id=cid,
                document_id=by_id[cid].document_id,
                position=by_id[cid].chunk.position,
                text=by_id[cid].chunk.text,
                heading_path=by_id[cid].chunk.heading_path,
                similarity=similarity.get(cid),
                dense_rank=dense_rank.get(cid),
                lexical_rank=lexical_rank.get(cid),
            )
            for cid in dense_rank.keys() | lexical_rank.keys()
        ]
        fusion = self._fusion or fusion_for(embedding_model)
        return fuse(candidates, top_k=top_k, min_similarity=min_similarity, fusion=fusion)

    def _bm25_ranks(self, rows: list[_Row], query_text: str, pool: int) -> dict[str, int]:
        """BM25 over what the Postgres store reads: the most selective query terms, and per term
        its postings in impact order up to the cap (ties by chunk id); exact scores."""
        terms = set(english_terms(query_text))
        if not terms or not rows:
            return {}
        avg_length = sum(r.length for r in rows) / len(rows)
        doc_freq = {t: sum(1 for r in rows if t in r.terms) for t in terms}
        scores: dict[str, float] = {}
        for t in selective_terms(doc_freq, self._lexical.max_query_terms):
            idf = self._bm25.idf(len(rows), doc_freq[t])
            postings = sorted((r for r in rows if t in r.terms), key=lambda r: (-r.impacts[t], r.stored.id))
            for r in postings[: self._lexical.postings_per_term]:
                scores[r.stored.id] = scores.get(r.stored.id, 0.0) + self._bm25.term_score(
                    r.terms[t], r.length, avg_length, idf
                )
        order = sorted(scores, key=lambda cid: (-scores[cid], cid))[:pool]
        return {cid: rank for rank, cid in enumerate(order, start=1)}


def _real(value: float) -> float:
    """``value`` rounded to a 4-byte float, as Postgres stores a ``real``."""
    return float(np.float32(value))
