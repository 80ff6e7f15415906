"""Postgres: data indexed before migration 0016 (no impacts, no reference length) stays
searchable, and the background job gives every posting the impact BM25 says."""

from __future__ import annotations

import psycopg

from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, content_hash

ACCT, AGENT, MODEL = "acct_old", "agt_old", "test-model"
TEXTS = ["lamp lamp lamp", "lamp desk", "desk chair table sofa"]


async def _sql(conninfo: str, query: str, *params: object) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute("SET aioomi.system = 'on'")
        cur = await conn.execute(query, params)
        return await cur.fetchall() if cur.description else []


async def test_the_refresh_job_fills_impacts_left_out_by_the_migration(postgres_container, pg_conninfo: str) -> None:
    store = postgres_container.chunk_store()
    await store.replace_document(
        account_id=ACCT,
        agent_id=AGENT,
        document_id="doc",
        embedding_model=MODEL,
        chunks=[
            EmbeddedChunk(chunk=Chunk(text=t, position=i, content_hash=content_hash(t)), embedding=[1.0, 0.0])
            for i, t in enumerate(TEXTS)
        ],
    )
    # As migration 0016 leaves data indexed before it.
    await _sql(pg_conninfo, "UPDATE knowledge_postings SET impact = NULL")
    await _sql(pg_conninfo, "UPDATE knowledge_index_stats SET impact_avg_length = NULL")

    async def lamp_hits() -> list[str]:
        hits = await store.search(
            account_id=ACCT, agent_id=AGENT, query_text="lamp", query_vector=None, embedding_model=MODEL, top_k=5
        )
        return [h.text for h in hits]

    # Searchable before the job: BM25 puts the chunk of 3 lamps in 3 terms first.
    assert await lamp_hits() == ["lamp lamp lamp", "lamp desk"]

    assert await postgres_container.refresh_lexical_impacts()() == 1
    assert await postgres_container.refresh_lexical_impacts()() == 0
    # Lengths 3, 2, 4 terms: average 3. impact = tf·2.2 / (tf + 1.2·(0.25 + 0.75·length/3)).
    rows = await _sql(
        pg_conninfo,
        "SELECT c.text, p.lexeme, p.impact FROM knowledge_postings p "
        "JOIN knowledge_chunks c ON c.id = p.chunk_id ORDER BY c.position, p.lexeme",
    )
    expected = {
        ("lamp lamp lamp", "lamp"): 3 * 2.2 / (3 + 1.2 * (0.25 + 0.75 * 3 / 3)),
        ("lamp desk", "desk"): 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 3)),
        ("lamp desk", "lamp"): 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 3)),
    }
    for text in ("desk", "chair", "tabl", "sofa"):
        expected[("desk chair table sofa", text)] = 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 4 / 3))
    assert {(t, lx): round(v, 5) for t, lx, v in rows} == {k: round(v, 5) for k, v in expected.items()}
    assert await _sql(pg_conninfo, "SELECT impact_avg_length FROM knowledge_index_stats") == [(3.0,)]
    assert await lamp_hits() == ["lamp lamp lamp", "lamp desk"]


async def test_the_migration_counts_the_frequencies_of_existing_postings(postgres_container, pg_conninfo: str) -> None:
    store = postgres_container.chunk_store()
    await store.replace_document(
        account_id=ACCT,
        agent_id=AGENT,
        document_id="doc",
        embedding_model=MODEL,
        chunks=[
            EmbeddedChunk(chunk=Chunk(text=t, position=i, content_hash=content_hash(t)), embedding=[1.0, 0.0])
            for i, t in enumerate(TEXTS)
        ],
    )
    # The statement of 0016 that counts them, run again over a cleared table.
    await _sql(pg_conninfo, "DELETE FROM knowledge_term_stats")
    migration = next(
        m
        for m in __import__("aioomi.adapters.postgres.migrations", fromlist=["x"]).shipped_migrations()
        if m.version == "0016"
    )
    insert = migration.sql[migration.sql.index("INSERT INTO knowledge_term_stats") :]
    await _sql(pg_conninfo, insert[: insert.index(";")])
    rows = await _sql(pg_conninfo, "SELECT lexeme, df FROM knowledge_term_stats ORDER BY lexeme")
    assert rows == [("chair", 1), ("desk", 2), ("lamp", 2), ("sofa", 1), ("tabl", 1)]
