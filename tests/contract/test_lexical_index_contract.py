"""The lexical index's bounded reading (issue 15), on memory and on Postgres: the same
selection of query terms, the same capped reading of postings in impact order, the same
maintenance of the term statistics through writes and deletions, the same staleness rule."""

from __future__ import annotations

import itertools
import random

from aioomi.adapters.memory import chunk_store as memory_chunk_store
from aioomi.adapters.memory.chunk_store import InMemoryChunkStore
from aioomi.adapters.postgres import chunk_store as postgres_chunk_store
from aioomi.adapters.postgres.chunk_store import PostgresChunkStore
from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, LexicalIndex, LexicalIndexKey, content_hash

ACCT, AGENT, MODEL = "acct_lex", "agt_lex", "test-model"
KEY = LexicalIndexKey(account_id=ACCT, agent_id=AGENT, embedding_model=MODEL)


def store_like(container, lexical: LexicalIndex):
    """A store of the container's kind with other lexical limits."""
    if isinstance(container.chunk_store(), PostgresChunkStore):
        return PostgresChunkStore(container.pool(), lexical=lexical)
    return InMemoryChunkStore(lexical=lexical)


def chunks(*texts: str) -> list[EmbeddedChunk]:
    return [
        EmbeddedChunk(chunk=Chunk(text=t, position=i, content_hash=content_hash(t)), embedding=[1.0, float(i)])
        for i, t in enumerate(texts)
    ]


async def put(store, document_id: str, *texts: str) -> list[str]:
    return await store.replace_document(
        account_id=ACCT, agent_id=AGENT, document_id=document_id, embedding_model=MODEL, chunks=chunks(*texts)
    )


async def lexical(store, text: str, top_k: int = 10) -> list[str]:
    hits = await store.search(
        account_id=ACCT, agent_id=AGENT, query_text=text, query_vector=None, embedding_model=MODEL, top_k=top_k
    )
    return [h.text for h in hits]


async def test_a_common_term_reads_only_its_highest_impact_postings(container) -> None:
    store = store_like(container, LexicalIndex(postings_per_term=2))
    # "lamp" is in all five chunks. Its impact grows with its count in a chunk and falls with
    # the chunk's length: "lamp lamp lamp" (3 of 3 terms) first, "lamp lamp" (2 of 2) second.
    await put(store, "doc", "lamp lamp lamp", "lamp lamp", "lamp desk chair table", "lamp sofa", "lamp lamp rug")
    assert await lexical(store, "lamp") == ["lamp lamp lamp", "lamp lamp"]
    # A rarer term is read whole and keeps its postings.
    assert set(await lexical(store, "lamp desk")) == {"lamp lamp lamp", "lamp lamp", "lamp desk chair table"}


async def test_a_long_query_keeps_only_its_most_selective_terms(container) -> None:
    store = store_like(container, LexicalIndex(max_query_terms=1))
    await put(store, "doc", "shop sells bread", "shop sells milk", "shop sells telescope")
    # "shop" is in three chunks, "telescope" in one: only the rarer one is read.
    assert await lexical(store, "shop telescope") == ["shop sells telescope"]
    # Equal frequencies: the first term in code-point order ("bread" < "milk").
    assert await lexical(store, "milk bread") == ["shop sells bread"]


async def test_term_frequencies_follow_replacements_and_deletions(container) -> None:
    store = store_like(container, LexicalIndex(max_query_terms=1))
    await put(store, "doc_x", "alpha gamma")
    await put(store, "doc_y", "beta", "beta delta")
    await put(store, "doc_z", "alpha", "alpha")
    # df: alpha 3, beta 2 -> beta is the selective term.
    assert set(await lexical(store, "alpha beta")) == {"beta", "beta delta"}
    # Emptying doc_z leaves alpha in one chunk: now alpha is the selective term.
    await put(store, "doc_z")
    assert await lexical(store, "alpha beta") == ["alpha gamma"]
    # Replacing doc_y with one beta-free chunk and deleting doc_x: beta 0, alpha 0 -> nothing.
    await put(store, "doc_y", "epsilon")
    await store.delete_document(account_id=ACCT, agent_id=AGENT, document_id="doc_x")
    assert await lexical(store, "alpha beta") == []
    await put(store, "doc_x", "beta beta")
    assert await lexical(store, "alpha beta") == ["beta beta"]
    # A deleted agent leaves no statistics behind: a new one starts from nothing.
    await store.delete_agent(account_id=ACCT, agent_id=AGENT)
    await put(store, "doc_w", "alpha", "beta")
    assert await lexical(store, "alpha beta") == ["alpha"]


async def test_drifted_impacts_are_found_and_refreshed(container) -> None:
    store = store_like(container, LexicalIndex(impact_drift=0.5))
    # The first document sets the reference length: 2 terms per chunk.
    await put(store, "short", "red apple", "green pear")
    assert await store.stale_lexical_indexes(limit=10) == []
    # A second one of 6-term chunks: the average becomes (2 + 2 + 6 + 6) / 4 = 4, twice the
    # reference (drift 1.0 > 0.5).
    await put(store, "long", "red apple green pear ripe fruit", "blue plum yellow lemon sour fruit")
    assert await store.stale_lexical_indexes(limit=10) == [KEY]
    # Every posting is rewritten: 2 + 2 + 6 + 6 distinct terms.
    assert await store.refresh_lexical_impacts(KEY, page_chunks=1) == 16
    assert await store.stale_lexical_indexes(limit=10) == []
    assert set(await lexical(store, "fruit")) == {
        "red apple green pear ripe fruit",
        "blue plum yellow lemon sour fruit",
    }


async def test_the_capped_reading_agrees_across_stores(memory_container, postgres_container, monkeypatch) -> None:
    """Memory and Postgres pick the same terms and the same postings, also when the caps bite
    and the impacts were computed with a reference length that has since drifted."""
    # Ties (equal impacts, equal scores) are broken by chunk id: both stores get the same ids.
    for module in (memory_chunk_store, postgres_chunk_store):
        counter = itertools.count()
        monkeypatch.setattr(module, "new_id", lambda prefix, c=counter: f"{prefix}_{next(c):06d}")
    limits = LexicalIndex(max_query_terms=3, postings_per_term=4)
    stores = [store_like(memory_container, limits), store_like(postgres_container, limits)]
    rng = random.Random(15)
    words = [f"w{i}" for i in range(12)]
    weights = [1 / (i + 1) for i in range(12)]  # Zipf-like: w0 is everywhere, w11 rare
    documents = [
        [" ".join(rng.choices(words, weights, k=rng.randint(2, 5 + 4 * d))) for _ in range(8)] for d in range(5)
    ]
    queries = [" ".join(rng.sample(words, rng.randint(1, 6))) for _ in range(30)]
    for store in stores:
        for d, texts in enumerate(documents):
            await put(store, f"doc_{d}", *texts)
    for query in queries:
        memory, postgres = [await lexical(store, query, top_k=20) for store in stores]
        assert memory == postgres, query
