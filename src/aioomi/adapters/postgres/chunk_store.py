"""The chunk store on Postgres: pgvector for meaning, a postings table for BM25, one
transaction per document write.

Dense search avoids the filtered-search trap (an HNSW scan filters after the index, so a
small agent in a big table gets few or no hits): an agent with at most
``exact_search_max_rows`` chunks of the model is searched exactly (its rows through a btree
index, sorted by distance: recall 1); a larger one through the model's partial HNSW index
with ``hnsw.iterative_scan = relaxed_order``, which keeps scanning until enough rows pass the
agent filter. See docs/knowledge.md for the measurements.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence

from pgvector import HalfVector
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.domain.model.documents import DocumentSource
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import (
    MAX_QUERY_CHARS,
    TITLE_TERM_WEIGHT,
    Bm25,
    Chunk,
    EmbeddedChunk,
    HitDocument,
    HybridFusion,
    LexicalIndex,
    LexicalIndexKey,
    ScoredChunk,
    SearchCandidate,
    StoredChunk,
    candidate_pool,
    check_embeddings,
    check_top_k,
    fuse,
    fusion_for,
)

# Models with a partial HNSW index in the migrations: name -> dimensions.
INDEXED_MODELS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "wordllama-l2-supercat-256": 256,
}

_INSERT_CHUNK = """
INSERT INTO knowledge_chunks (id, account_id, agent_id, document_id, position, text, heading_path,
    char_start, char_end, token_count, content_hash, embedding_model, dimensions, embedding, title)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %b, %s)
"""

# Postgres's own parser and Snowball stemmer make the terms; the lengths go back on the chunks.
# Then, in the same statement: the postings with their impact (see 0016 and LexicalIndex), the
# terms' document frequencies and the agent's totals. ``reference`` is the average length the
# agent's impacts are computed with; a new agent takes its first document's.
_INDEX_TERMS = """
WITH terms AS (
    -- tf = body tf + TITLE_TERM_WEIGHT x tf in the title and heading path (a weighted field).
    SELECT id, lexeme, sum(tf)::integer AS tf FROM (
        SELECT c.id, t.lexeme, coalesce(array_length(t.positions, 1), 1) AS tf
        FROM knowledge_chunks c, unnest(to_tsvector('english', c.text)) AS t
        WHERE c.account_id = %(account)s AND c.agent_id = %(agent)s AND c.document_id = %(document)s
        UNION ALL
        SELECT c.id, t.lexeme, %(title_weight)s * coalesce(array_length(t.positions, 1), 1)
        FROM knowledge_chunks c,
             unnest(to_tsvector('english', c.title || ' ' || array_to_string(c.heading_path, ' '))) AS t
        WHERE c.account_id = %(account)s AND c.agent_id = %(agent)s AND c.document_id = %(document)s
    ) fields GROUP BY id, lexeme
), lengths AS (
    SELECT id, sum(tf)::integer AS length FROM terms GROUP BY id
), lengthen AS (
    UPDATE knowledge_chunks c SET lexical_length = l.length FROM lengths l WHERE c.id = l.id
), reference AS (
    SELECT coalesce(%(reference)s::float8, nullif(sum(length), 0)::float8 / %(chunks)s) AS avg_length,
           coalesce(sum(length), 0) AS total_length
    FROM lengths
), postings AS (
    INSERT INTO knowledge_postings (account_id, agent_id, embedding_model, lexeme, chunk_id, tf, chunk_length, impact)
    SELECT %(account)s, %(agent)s, %(model)s, t.lexeme, t.id, t.tf, l.length,
           (t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * l.length / r.avg_length)))::real
    FROM terms t JOIN lengths l USING (id) CROSS JOIN reference r
), frequencies AS (
    -- In term order, so two writers of one agent lock the rows in the same order.
    INSERT INTO knowledge_term_stats AS s (account_id, agent_id, embedding_model, lexeme, df)
    SELECT %(account)s, %(agent)s, %(model)s, lexeme, count(*) FROM terms GROUP BY lexeme ORDER BY lexeme
    ON CONFLICT (account_id, agent_id, embedding_model, lexeme) DO UPDATE SET df = s.df + excluded.df
)
INSERT INTO knowledge_index_stats AS s
    (account_id, agent_id, embedding_model, chunk_count, total_length, impact_avg_length)
SELECT %(account)s, %(agent)s, %(model)s, %(chunks)s, r.total_length, r.avg_length FROM reference r
ON CONFLICT (account_id, agent_id, embedding_model) DO UPDATE
SET chunk_count = s.chunk_count + excluded.chunk_count, total_length = s.total_length + excluded.total_length
"""

# A document's postings go first, taking their terms' frequencies down; the rows left at zero
# come back so they can be removed.
_FORGET_TERMS = """
WITH gone AS (
    DELETE FROM knowledge_postings p USING knowledge_chunks c
    WHERE c.account_id = %(account)s AND c.agent_id = %(agent)s AND c.document_id = %(document)s
      AND p.chunk_id = c.id AND p.account_id = c.account_id AND p.agent_id = c.agent_id
    RETURNING p.embedding_model, p.lexeme
), counted AS (
    SELECT embedding_model, lexeme, count(*) AS n FROM gone GROUP BY embedding_model, lexeme ORDER BY embedding_model, lexeme
)
UPDATE knowledge_term_stats s SET df = s.df - c.n FROM counted c
WHERE s.account_id = %(account)s AND s.agent_id = %(agent)s AND s.embedding_model = c.embedding_model
  AND s.lexeme = c.lexeme
RETURNING s.embedding_model, s.lexeme, s.df
"""

# Exact BM25 over a bounded reading: the query's most selective terms (by the kept document
# frequencies), and per term its postings in impact order up to a cap (LexicalIndex).
_LEXICAL = """
query_terms AS MATERIALIZED (
    SELECT s.lexeme, ln(1 + (st.n - s.df + 0.5) / (s.df + 0.5)) AS idf, st.avg_length
    FROM knowledge_term_stats s CROSS JOIN index_stats st
    WHERE s.account_id = %(account)s AND s.agent_id = %(agent)s AND s.embedding_model = %(model)s
      AND s.lexeme = ANY(tsvector_to_array(to_tsvector('english', %(text)s))) AND s.df > 0
    ORDER BY s.df, s.lexeme COLLATE "C" LIMIT %(max_terms)s
), lexical_hits AS (
    SELECT p.chunk_id,
           t.idf * p.tf * (%(k1)s + 1) / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.chunk_length / t.avg_length)) AS score
    FROM query_terms t CROSS JOIN LATERAL (
        SELECT chunk_id, tf, chunk_length FROM knowledge_postings p
        WHERE p.account_id = %(account)s AND p.agent_id = %(agent)s AND p.embedding_model = %(model)s
          AND p.lexeme = t.lexeme
        ORDER BY p.impact DESC NULLS LAST, p.chunk_id LIMIT %(per_term)s
    ) p
), lexical AS (
    SELECT chunk_id AS id, row_number() OVER (ORDER BY score DESC, chunk_id) AS lexical_rank
    FROM (
        SELECT chunk_id, sum(score) AS score
        FROM lexical_hits GROUP BY chunk_id ORDER BY score DESC, chunk_id LIMIT %(pool)s
    ) scored
)
"""

# The refresh job: indexes whose impacts are missing or computed with an average length that
# drifted too far (impacts_stale, in SQL), across accounts.
_STALE_INDEXES = """
SELECT account_id, agent_id, embedding_model FROM knowledge_index_stats
WHERE chunk_count > 0 AND total_length > 0 AND (
    impact_avg_length IS NULL
    OR abs(total_length::float8 / chunk_count / impact_avg_length - 1) > %(drift)s)
ORDER BY account_id, agent_id, embedding_model LIMIT %(limit)s
"""

_REIMPACT_PAGE = """
WITH page AS (
    SELECT id FROM knowledge_chunks
    WHERE account_id = %(account)s AND agent_id = %(agent)s AND embedding_model = %(model)s AND id > %(after)s
    ORDER BY id LIMIT %(page)s
), rewritten AS (
    UPDATE knowledge_postings p
    SET impact = (p.tf * (%(k1)s + 1) / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.chunk_length / %(avg_length)s)))::real
    FROM page WHERE p.chunk_id = page.id AND p.account_id = %(account)s AND p.agent_id = %(agent)s
    RETURNING 1
)
SELECT (SELECT max(id) FROM page), (SELECT count(*) FROM rewritten)
"""


async def _enter_tenant(conn, account_id: str, *settings: tuple[str, str]) -> None:
    """Scope the open transaction to ``account_id`` for row-level security (0007), with any
    other transaction-local settings, in one round trip."""
    pairs = [("aioomi.account_id", account_id), *settings]
    calls = ", ".join("set_config(%s, %s, true)" for _ in pairs)
    await conn.execute(f"SELECT {calls}", [x for pair in pairs for x in pair])


async def _lock_agent(conn, account_id: str, agent_id: str) -> None:
    """Writers of one agent's knowledge take turns (document writes, deletions, the impact
    refresh): the agent's term frequencies and totals change under one writer at a time, and two
    uploads of a document never interleave their rows."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"knowledge:{account_id}:{agent_id}",))


class PostgresChunkStore:
    """See :class:`aioomi.ports.chunk_store.ChunkStore`.

    ``exact_search_max_rows``: up to this many chunks per agent and model, dense search is
    exact; above it, approximate through HNSW with ``ef_search`` (at least the candidate pool).
    ``lexical``: how much a lexical search may read (:class:`~aioomi.domain.model.knowledge.LexicalIndex`).
    ``fusion``: fixed fusion weights; by default those measured for the query's model
    (:func:`~aioomi.domain.model.knowledge.fusion_for`).
    """

    def __init__(
        self,
        pool: AsyncConnectionPool,
        *,
        fusion: HybridFusion | None = None,
        bm25: Bm25 | None = None,
        lexical: LexicalIndex | None = None,
        exact_search_max_rows: int = 10_000,
        ef_search: int = 100,
    ) -> None:
        self._pool = pool
        self._fusion = fusion
        self._bm25 = bm25 or Bm25()
        self._lexical = lexical or LexicalIndex()
        self._exact_max = exact_search_max_rows
        self._ef_search = ef_search

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
        ids = [new_id("chk") for _ in chunks]
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await _enter_tenant(conn, account_id)
                await _lock_agent(conn, account_id, agent_id)
                await self._delete_where(conn, account_id, agent_id, document_id)
                if not chunks:
                    return []
                async with conn.cursor() as cur:
                    await cur.executemany(
                        _INSERT_CHUNK,
                        [
                            (
                                chunk_id,
                                account_id,
                                agent_id,
                                document_id,
                                c.chunk.position,
                                c.chunk.text,
                                list(c.chunk.heading_path),
                                c.chunk.char_start,
                                c.chunk.char_end,
                                c.chunk.token_count,
                                c.chunk.content_hash,
                                embedding_model,
                                dims,
                                HalfVector(c.embedding),
                                c.chunk.title,
                            )
                            for chunk_id, c in zip(ids, chunks, strict=True)
                        ],
                    )
                stats = await (
                    await conn.execute(
                        "SELECT chunk_count, total_length, impact_avg_length FROM knowledge_index_stats "
                        "WHERE account_id = %s AND agent_id = %s AND embedding_model = %s",
                        (account_id, agent_id, embedding_model),
                    )
                ).fetchone()
                # The agent's reference length; one whose impacts are not all computed yet (NULL,
                # left for the refresh job) gets its current average.
                reference = None
                if stats is not None:
                    count, total, reference = stats
                    if reference is None and count > 0 and total > 0:
                        reference = total / count
                await conn.execute(
                    _INDEX_TERMS,
                    {
                        "account": account_id,
                        "agent": agent_id,
                        "document": document_id,
                        "model": embedding_model,
                        "title_weight": TITLE_TERM_WEIGHT,
                        "reference": reference,
                        "chunks": len(chunks),
                        "k1": self._bm25.k1,
                        "b": self._bm25.b,
                    },
                )
        return ids

    async def _delete_where(self, conn, account_id: str, agent_id: str, document_id: str | None) -> int:
        where = "account_id = %s AND agent_id = %s" + ("" if document_id is None else " AND document_id = %s")
        params = (account_id, agent_id) if document_id is None else (account_id, agent_id, document_id)
        if document_id is None:
            await conn.execute(
                "DELETE FROM knowledge_term_stats WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
            )
        else:
            left = await (
                await conn.execute(_FORGET_TERMS, {"account": account_id, "agent": agent_id, "document": document_id})
            ).fetchall()
            unused = [(model, lexeme) for model, lexeme, df in left if df <= 0]
            if unused:
                await conn.execute(
                    "DELETE FROM knowledge_term_stats WHERE account_id = %s AND agent_id = %s AND df <= 0 "
                    "AND (embedding_model, lexeme) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                    (account_id, agent_id, [m for m, _ in unused], [t for _, t in unused]),
                )
        removed = await (
            await conn.execute(
                f"""
            WITH gone AS (DELETE FROM knowledge_chunks WHERE {where} RETURNING embedding_model, lexical_length)
            SELECT embedding_model, count(*), coalesce(sum(lexical_length), 0) FROM gone GROUP BY embedding_model
            """,
                params,
            )
        ).fetchall()
        for model, count, length in removed:
            await conn.execute(
                "UPDATE knowledge_index_stats SET chunk_count = chunk_count - %s, total_length = total_length - %s "
                "WHERE account_id = %s AND agent_id = %s AND embedding_model = %s",
                (count, length, account_id, agent_id, model),
            )
        if removed:
            await conn.execute(
                "DELETE FROM knowledge_index_stats WHERE account_id = %s AND agent_id = %s AND chunk_count <= 0",
                (account_id, agent_id),
            )
        return sum(count for _, count, _ in removed)

    async def stale_lexical_indexes(self, *, limit: int) -> list[LexicalIndexKey]:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                rows = await (
                    await conn.execute(_STALE_INDEXES, {"drift": self._lexical.impact_drift, "limit": limit})
                ).fetchall()
        return [LexicalIndexKey(account_id=a, agent_id=g, embedding_model=m) for a, g, m in rows]

    async def refresh_lexical_impacts(self, key: LexicalIndexKey, *, page_chunks: int = 500) -> int:
        """Recompute the impacts of one agent's postings with its current average length, a
        page of chunks per transaction (each under the agent's write lock, so writers and the
        job never interleave). The new reference is recorded first: documents written meanwhile
        use it too. Returns how many postings were rewritten."""
        account, agent, model = key.account_id, key.agent_id, key.embedding_model
        with translated_errors():
            async with self._pool.connection() as conn:
                async with conn.transaction():
                    await _enter_tenant(conn, account)
                    await _lock_agent(conn, account, agent)
                    row = await (
                        await conn.execute(
                            "UPDATE knowledge_index_stats SET impact_avg_length = total_length::float8 / chunk_count "
                            "WHERE account_id = %s AND agent_id = %s AND embedding_model = %s "
                            "AND chunk_count > 0 AND total_length > 0 RETURNING impact_avg_length",
                            (account, agent, model),
                        )
                    ).fetchone()
                if row is None:
                    return 0
                params = {
                    "account": account,
                    "agent": agent,
                    "model": model,
                    "page": page_chunks,
                    "after": "",
                    "avg_length": row[0],
                    "k1": self._bm25.k1,
                    "b": self._bm25.b,
                }
                rewritten = 0
                while True:
                    async with conn.transaction():
                        await _enter_tenant(conn, account)
                        await _lock_agent(conn, account, agent)
                        page = await (await conn.execute(_REIMPACT_PAGE, params)).fetchone()
                        assert page is not None  # an aggregate always returns its row
                        last, count = page
                    rewritten += count
                    if last is None:
                        return rewritten
                    params["after"] = last

    async def existing_embeddings(
        self,
        *,
        account_id: str,
        agent_id: str,
        document_id: str,
        embedding_model: str,
        content_hashes: Collection[str],
    ) -> dict[str, list[float]]:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await _enter_tenant(conn, account_id)
                rows = await (
                    await conn.execute(
                        "SELECT content_hash, embedding FROM knowledge_chunks WHERE account_id = %s AND agent_id = %s "
                        "AND document_id = %s AND embedding_model = %s AND content_hash = ANY(%s)",
                        (account_id, agent_id, document_id, embedding_model, list(content_hashes)),
                    )
                ).fetchall()
        return {h: [float(x) for x in v.to_list()] for h, v in rows}

    async def delete_document(self, *, account_id: str, agent_id: str, document_id: str) -> int:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await _enter_tenant(conn, account_id)
                await _lock_agent(conn, account_id, agent_id)
                return await self._delete_where(conn, account_id, agent_id, document_id)

    async def delete_agent(self, *, account_id: str, agent_id: str) -> int:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await _enter_tenant(conn, account_id)
                await _lock_agent(conn, account_id, agent_id)
                return await self._delete_where(conn, account_id, agent_id, None)

    async def count(self, *, account_id: str, agent_id: str, document_id: str | None = None) -> int:
        where = "account_id = %s AND agent_id = %s" + ("" if document_id is None else " AND document_id = %s")
        params = (account_id, agent_id) if document_id is None else (account_id, agent_id, document_id)
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await _enter_tenant(conn, account_id)
                row = await (
                    await conn.execute(f"SELECT count(*) FROM knowledge_chunks WHERE {where}", params)
                ).fetchone()
        assert row is not None  # count(*) always returns its row
        return int(row[0])

    async def list_document(self, *, account_id: str, agent_id: str, document_id: str) -> list[StoredChunk]:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await _enter_tenant(conn, account_id)
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(
                    "SELECT id, document_id, position, text, heading_path, char_start, char_end, token_count, "
                    "content_hash, embedding_model, dimensions, title FROM knowledge_chunks "
                    "WHERE account_id = %s AND agent_id = %s AND document_id = %s ORDER BY position",
                    (account_id, agent_id, document_id),
                )
                rows = await cur.fetchall()
        return [
            StoredChunk(
                id=r["id"],
                account_id=account_id,
                agent_id=agent_id,
                document_id=r["document_id"],
                embedding_model=r["embedding_model"],
                dimensions=r["dimensions"],
                chunk=Chunk(
                    text=r["text"],
                    position=r["position"],
                    heading_path=tuple(r["heading_path"]),
                    char_start=r["char_start"],
                    char_end=r["char_end"],
                    token_count=r["token_count"],
                    content_hash=r["content_hash"],
                    title=r["title"],
                ),
            )
            for r in rows
        ]

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
        dims = len(query_vector) if query_vector is not None else 0
        query = self._search_sql(embedding_model, dims, INDEXED_MODELS.get(embedding_model) == dims)
        params = {
            "account": account_id,
            "agent": agent_id,
            "model": embedding_model,
            "pool": pool,
            "vector": HalfVector(list(query_vector)) if query_vector is not None and dims else None,
            "exact_max": self._exact_max,
            "text": query_text[:MAX_QUERY_CHARS],
            "k1": self._bm25.k1,
            "b": self._bm25.b,
            "max_terms": self._lexical.max_query_terms,
            "per_term": self._lexical.postings_per_term,
        }
        with translated_errors():
            # One round trip: the settings and the one search statement are sent together
            # (pipeline mode) and answered at one sync. Without BEGIN (the pool's connections are
            # in autocommit) they are one implicit transaction, read-only, which the sync ends:
            # nothing to commit or roll back. (A transaction() block inside the pipeline would
            # sync on entering and leaving it: three round trips more.)
            async with self._pool.connection() as conn:
                async with conn.pipeline():
                    # HNSW settings only affect an index scan: harmless for an exact search.
                    await _enter_tenant(
                        conn,
                        account_id,
                        ("hnsw.ef_search", str(max(self._ef_search, pool))),
                        ("hnsw.iterative_scan", "relaxed_order"),
                        ("transaction_read_only", "on"),
                    )
                    cur = conn.cursor(row_factory=dict_row)
                    await cur.execute(query, params)
                rows = await cur.fetchall()
        candidates = [
            SearchCandidate(
                chunk_id=r["id"],
                document_id=r["document_id"],
                position=r["position"],
                text=r["text"],
                heading_path=tuple(r["heading_path"]),
                similarity=r["similarity"],
                dense_rank=r["dense_rank"],
                lexical_rank=r["lexical_rank"],
                document=HitDocument(
                    title=r["document_title"],
                    source_url=r["document_url"] if r["document_source"] == DocumentSource.URL else None,
                )
                if r["document_title"] is not None
                else None,
            )
            for r in rows
        ]
        fusion = self._fusion or fusion_for(embedding_model)
        return fuse(candidates, top_k=top_k, min_similarity=min_similarity, fusion=fusion)

    @staticmethod
    @functools.cache
    def _search_sql(model: str, dims: int, indexed: bool) -> sql.Composed:
        """The whole hybrid search as one statement. The agent's statistics come from
        ``index_stats``; they choose the dense mode inside the statement: an exact branch and,
        for a model with an HNSW index, an approximate one, each guarded by a condition on the
        chunk count that Postgres evaluates once (a one-time filter), so only one branch runs."""
        dense: sql.Composable
        if dims == 0:
            dense = sql.SQL(
                "dense AS (SELECT NULL::text AS id, NULL::float8 AS similarity, NULL::bigint AS dense_rank WHERE false)"
            )
        else:
            # The exact form does not match the index, so the planner reads the agent's rows by
            # btree and sorts them; the approximate form repeats the partial index's expression
            # and predicate (as literals, so even a generic plan can use it).
            exact = sql.SQL(
                """
                SELECT id, embedding <=> %(vector)s::halfvec AS distance FROM knowledge_chunks
                WHERE account_id = %(account)s AND agent_id = %(agent)s
                  AND embedding_model = {model} AND dimensions = {dims}
                  AND (SELECT chunk_count FROM index_stats) <= %(exact_max)s
                ORDER BY embedding <=> %(vector)s::halfvec LIMIT %(pool)s
                """
            ).format(model=sql.Literal(model), dims=sql.Literal(dims))
            approximate = (
                sql.SQL(
                    """
                UNION ALL (
                SELECT id, (embedding::halfvec({dims})) <=> %(vector)s::halfvec({dims}) AS distance FROM knowledge_chunks
                WHERE account_id = %(account)s AND agent_id = %(agent)s
                  AND embedding_model = {model} AND dimensions = {dims}
                  AND (SELECT chunk_count FROM index_stats) > %(exact_max)s
                ORDER BY (embedding::halfvec({dims})) <=> %(vector)s::halfvec({dims}) LIMIT %(pool)s)
                """
                ).format(model=sql.Literal(model), dims=sql.Literal(dims))
                if indexed
                else sql.SQL("")
            )
            dense = sql.SQL(
                """
                nearest AS MATERIALIZED (({exact}) {approximate}), dense AS (
                    SELECT id, 1 - distance AS similarity, row_number() OVER (ORDER BY distance, id) AS dense_rank
                    FROM nearest
                )
                """
            ).format(exact=exact, approximate=approximate)
        return sql.SQL(
            """
            WITH index_stats AS MATERIALIZED (
                SELECT chunk_count, chunk_count::float8 AS n,
                       greatest(total_length::float8 / greatest(chunk_count, 1), 1.0) AS avg_length
                FROM knowledge_index_stats
                WHERE account_id = %(account)s AND agent_id = %(agent)s AND embedding_model = %(model)s
            ), {dense}, {lexical}, picked AS MATERIALIZED (
                SELECT coalesce(d.id, l.id) AS id, d.similarity, d.dense_rank, l.lexical_rank
                FROM dense d FULL JOIN lexical l ON d.id = l.id
            )
            SELECT c.id, c.document_id, c.position, c.text, c.heading_path,
                   p.similarity, p.dense_rank, p.lexical_rank,
                   d.title AS document_title, d.source AS document_source, d.source_url AS document_url
            -- One primary-key lookup per candidate (a plain join planned a table scan under
            -- row-level security, then a nested loop over the candidates), and one for its
            -- document's title (the hits' titles come with them: no second read).
            FROM picked p CROSS JOIN LATERAL (
                SELECT id, document_id, position, text, heading_path FROM knowledge_chunks
                WHERE id = p.id AND account_id = %(account)s AND agent_id = %(agent)s
            ) c LEFT JOIN LATERAL (
                SELECT title, source, source_url FROM documents
                WHERE id = split_part(c.document_id, '/', 1) AND account_id = %(account)s
            ) d ON true
            """
        ).format(dense=dense, lexical=sql.SQL(_LEXICAL))
