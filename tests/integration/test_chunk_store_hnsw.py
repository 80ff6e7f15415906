"""The Postgres chunk store's approximate path (HNSW with iterative scan) for an agent that
holds a sliver of a model's rows: it must still get its full top-k, as exact search would."""

from __future__ import annotations

import numpy as np

from aioomi.adapters.memory.chunk_store import InMemoryChunkStore
from aioomi.adapters.postgres.chunk_store import PostgresChunkStore
from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, content_hash

MODEL = "wordllama-l2-supercat-256"


def chunks(rng: np.random.Generator, n: int, prefix: str) -> list[EmbeddedChunk]:
    vectors = rng.standard_normal((n, 256))
    return [
        EmbeddedChunk(
            chunk=Chunk(text=f"{prefix} {i}", position=i, content_hash=content_hash(f"{prefix} {i}")),
            embedding=v.tolist(),
        )
        for i, v in enumerate(vectors)
    ]


async def test_a_small_agent_gets_its_full_top_k_through_the_index(postgres_container) -> None:
    approximate = PostgresChunkStore(postgres_container.database().pool, exact_search_max_rows=0)
    exact = InMemoryChunkStore()
    rng = np.random.default_rng(3)
    for store in (approximate, exact):
        rng = np.random.default_rng(3)
        for d in range(3):
            await store.replace_document(
                account_id="acct_a",
                agent_id="agt_big",
                document_id=f"doc_{d}",
                embedding_model=MODEL,
                chunks=chunks(rng, 400, "big"),
            )
        await store.replace_document(
            account_id="acct_a",
            agent_id="agt_tiny",
            document_id="doc_t",
            embedding_model=MODEL,
            chunks=chunks(rng, 12, "tiny"),
        )
    queries = np.random.default_rng(9).standard_normal((10, 256))
    for q in queries:
        kw = dict(
            account_id="acct_a",
            agent_id="agt_tiny",
            query_text="",
            query_vector=q.tolist(),
            embedding_model=MODEL,
            top_k=8,
            min_similarity=-1.0,
        )
        got = await approximate.search(**kw)
        want = await exact.search(**kw)
        assert len(got) == 8 and all(h.text.startswith("tiny") for h in got)
        assert [h.text for h in got] == [h.text for h in want]
