"""The ChunkStore contract, on memory and on Postgres."""

from __future__ import annotations

import msgspec
import pytest

from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.knowledge import (
    Chunk,
    EmbeddedChunk,
    EmbeddingDimensionMismatch,
    content_hash,
)

ACCT, OTHER_ACCT = "acct_one", "acct_two"
AGENT, OTHER_AGENT = "agt_one", "agt_two"
MODEL = "test-model"


def chunk(position: int, text: str, vector: list[float], heading: tuple[str, ...] = ()) -> EmbeddedChunk:
    return EmbeddedChunk(
        chunk=Chunk(
            text=text,
            position=position,
            heading_path=heading,
            char_start=position * 10,
            char_end=position * 10 + len(text),
            token_count=len(text.split()),
            content_hash=content_hash(text),
        ),
        embedding=vector,
    )


DOC = [
    chunk(0, "Refunds are issued within fourteen days of the return.", [1.0, 0.0, 0.0, 0.0], ("Policies", "Refunds")),
    chunk(1, "Shipping to Europe takes five working days.", [0.0, 1.0, 0.0, 0.0], ("Policies", "Shipping")),
    chunk(2, "Our support team answers emails every weekday.", [0.0, 0.0, 1.0, 0.0]),
]


async def put(store, document_id: str = "doc_a", chunks=DOC, account=ACCT, agent=AGENT, model=MODEL) -> list[str]:
    return await store.replace_document(
        account_id=account, agent_id=agent, document_id=document_id, embedding_model=model, chunks=chunks
    )


async def search(store, text: str = "", vector=None, top_k: int = 5, account=ACCT, agent=AGENT, **kw):
    return await store.search(
        account_id=account,
        agent_id=agent,
        query_text=text,
        query_vector=vector,
        embedding_model=kw.pop("model", MODEL),
        top_k=top_k,
        **kw,
    )


async def test_stored_chunks_come_back_in_order_with_their_fields(container) -> None:
    store = container.chunk_store()
    ids = await put(store)
    listed = await store.list_document(account_id=ACCT, agent_id=AGENT, document_id="doc_a")
    assert [s.id for s in listed] == ids and len(set(ids)) == 3
    assert [s.chunk for s in listed] == [c.chunk for c in DOC]
    assert {(s.embedding_model, s.dimensions, s.document_id) for s in listed} == {(MODEL, 4, "doc_a")}
    assert await store.count(account_id=ACCT, agent_id=AGENT) == 3
    assert await store.count(account_id=ACCT, agent_id=AGENT, document_id="doc_a") == 3


async def test_replacing_a_document_leaves_only_the_new_chunks(container) -> None:
    store = container.chunk_store()
    await put(store)
    await put(store, "doc_b", [chunk(0, "Another document about warranty.", [0.0, 0.0, 0.0, 1.0])])
    new_ids = await put(store, chunks=[chunk(0, "Refunds now take thirty days.", [1.0, 0.0, 0.0, 0.0])])
    listed = await store.list_document(account_id=ACCT, agent_id=AGENT, document_id="doc_a")
    assert [s.id for s in listed] == new_ids
    assert [s.chunk.text for s in listed] == ["Refunds now take thirty days."]
    assert await store.count(account_id=ACCT, agent_id=AGENT) == 2
    hits = await search(store, "fourteen refunds")
    assert [h.text for h in hits] == ["Refunds now take thirty days."]


async def test_existing_embeddings_returns_the_asked_hashes_of_the_same_model(container) -> None:
    store = container.chunk_store()
    await put(store)
    hashes = [DOC[0].chunk.content_hash, DOC[2].chunk.content_hash, content_hash("never stored")]
    found = await store.existing_embeddings(
        account_id=ACCT, agent_id=AGENT, document_id="doc_a", embedding_model=MODEL, content_hashes=hashes
    )
    assert found == {DOC[0].chunk.content_hash: [1.0, 0.0, 0.0, 0.0], DOC[2].chunk.content_hash: [0.0, 0.0, 1.0, 0.0]}
    other_model = await store.existing_embeddings(
        account_id=ACCT, agent_id=AGENT, document_id="doc_a", embedding_model="other", content_hashes=hashes
    )
    other_agent = await store.existing_embeddings(
        account_id=ACCT, agent_id=OTHER_AGENT, document_id="doc_a", embedding_model=MODEL, content_hashes=hashes
    )
    assert other_model == {} and other_agent == {}


async def test_dense_search_ranks_by_cosine_similarity(container) -> None:
    store = container.chunk_store()
    await put(store)
    hits = await search(store, vector=[0.1, 0.9, 0.2, 0.0], top_k=2)
    assert [h.position for h in hits] == [1, 2]
    assert hits[0].dense_rank == 1 and hits[0].lexical_rank is None
    assert hits[0].similarity == pytest.approx(0.9 / (0.01 + 0.81 + 0.04) ** 0.5, abs=1e-3)
    assert hits[0].heading_path == ("Policies", "Shipping") and hits[0].document_id == "doc_a"
    assert hits[0].score > hits[1].score


async def test_lexical_search_matches_any_stemmed_word(container) -> None:
    store = container.chunk_store()
    await put(store)
    # "emailed" stems like "emails"; "zebra" is in no chunk and must not stop the match.
    hits = await search(store, "zebra emailed")
    assert [h.position for h in hits] == [2]
    assert hits[0].lexical_rank == 1 and hits[0].dense_rank is None


async def test_lexical_search_prefers_rare_words(container) -> None:
    store = container.chunk_store()
    common = [chunk(i, f"The shop sells item number {i}.", [1.0, 0.0, 0.0, float(i)]) for i in range(6)]
    rare = chunk(6, "The shop sells a telescope.", [0.0, 1.0, 0.0, 0.0])
    await put(store, chunks=[*common, rare])
    hits = await search(store, "shop telescope", top_k=3)
    assert hits[0].position == 6


async def test_hybrid_search_ranks_agreement_first(container) -> None:
    store = container.chunk_store()
    await put(store)
    hits = await search(store, "shipping to Europe", vector=[0.0, 0.9, 0.1, 0.0], top_k=3)
    assert hits[0].position == 1 and hits[0].dense_rank == 1 and hits[0].lexical_rank == 1
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_min_similarity_drops_unrelated_chunks(container) -> None:
    store = container.chunk_store()
    await put(store)
    assert await search(store, "zebra", vector=[0.0, 0.0, 0.0, 1.0], min_similarity=0.5) == []
    kept = await search(store, "weekday", vector=[0.0, 0.0, 0.0, 1.0], min_similarity=0.5)
    assert [h.position for h in kept] == [2] and kept[0].dense_rank is None


async def test_search_sees_only_the_agent_of_the_account(container) -> None:
    store = container.chunk_store()
    await put(store)
    await put(store, chunks=[chunk(0, "Secret refunds of another tenant.", [1.0, 0.0, 0.0, 0.0])], account=OTHER_ACCT)
    await put(store, chunks=[chunk(0, "Refunds of a sibling agent.", [1.0, 0.0, 0.0, 0.0])], agent=OTHER_AGENT)
    hits = await search(store, "refunds", vector=[1.0, 0.0, 0.0, 0.0], top_k=10)
    assert {h.text for h in hits} == {DOC[0].chunk.text} | {c.chunk.text for c in DOC[1:]} & {h.text for h in hits}
    assert all("tenant" not in h.text and "sibling" not in h.text for h in hits)
    assert await store.count(account_id=OTHER_ACCT, agent_id=AGENT) == 1
    assert await store.count(account_id=ACCT, agent_id=OTHER_AGENT) == 1


async def test_search_compares_only_vectors_of_the_query_model(container) -> None:
    store = container.chunk_store()
    await put(store)
    await put(store, "doc_b", [chunk(0, "Refunds in the other model.", [1.0, 0.0, 0.0, 0.0])], model="other-model")
    hits = await search(store, "refunds", vector=[1.0, 0.0, 0.0, 0.0])
    assert all(h.document_id == "doc_a" for h in hits) and hits
    other = await search(store, "refunds", vector=[1.0, 0.0, 0.0, 0.0], model="other-model")
    assert [h.document_id for h in other] == ["doc_b"]


async def test_deleting_a_document_and_an_agent(container) -> None:
    store = container.chunk_store()
    await put(store)
    await put(store, "doc_b", [chunk(0, "Warranty lasts two years.", [0.0, 0.0, 0.0, 1.0])])
    await put(store, "doc_c", [chunk(0, "Kept: another agent.", [0.0, 0.0, 0.0, 1.0])], agent=OTHER_AGENT)
    assert await store.delete_document(account_id=ACCT, agent_id=AGENT, document_id="doc_a") == 3
    assert await store.delete_document(account_id=ACCT, agent_id=AGENT, document_id="doc_a") == 0
    assert [h.document_id for h in await search(store, "refunds warranty", vector=[1.0, 0.0, 0.0, 1.0])] == ["doc_b"]
    assert await store.delete_agent(account_id=ACCT, agent_id=AGENT) == 1
    assert await store.count(account_id=ACCT, agent_id=AGENT) == 0
    assert await search(store, "warranty", vector=[0.0, 0.0, 0.0, 1.0]) == []
    assert await store.count(account_id=ACCT, agent_id=OTHER_AGENT) == 1


async def test_vectors_of_different_sizes_are_refused_and_nothing_is_written(container) -> None:
    store = container.chunk_store()
    await put(store)
    bad = [chunk(0, "four", [1.0, 0.0, 0.0, 0.0]), chunk(1, "three", [1.0, 0.0, 0.0])]
    with pytest.raises(EmbeddingDimensionMismatch):
        await put(store, chunks=bad)
    assert await store.count(account_id=ACCT, agent_id=AGENT, document_id="doc_a") == 3


async def test_top_k_is_bounded(container) -> None:
    store = container.chunk_store()
    with pytest.raises(InvalidInput):
        await search(store, "refunds", top_k=0)
    with pytest.raises(InvalidInput):
        await search(store, "refunds", top_k=1000)


async def test_an_empty_document_has_no_chunks(container) -> None:
    store = container.chunk_store()
    await put(store)
    assert await put(store, chunks=[]) == []
    assert await store.count(account_id=ACCT, agent_id=AGENT) == 0
    assert await search(store, "refunds", vector=[1.0, 0.0, 0.0, 0.0]) == []


def titled_chunk(position: int, text: str, title: str, vector: list[float]) -> EmbeddedChunk:
    c = chunk(position, text, vector)
    return msgspec.structs.replace(c, chunk=msgspec.structs.replace(c.chunk, title=title))


async def test_a_chunk_is_found_by_a_word_of_its_title_alone(container) -> None:
    store = container.chunk_store()
    await put(
        store,
        "doc_leave",
        [titled_chunk(0, "Employees stay home sixteen weeks.", "Parental leave", [1.0, 0.0, 0.0, 0.0])],
    )
    await put(
        store, "doc_ship", [titled_chunk(0, "Parcels arrive within three days.", "Shipping", [0.0, 1.0, 0.0, 0.0])]
    )
    hits = await search(store, "parental")  # in no chunk's text, only in one title
    assert [h.document_id for h in hits] == ["doc_leave"]
    listed = await store.list_document(account_id=ACCT, agent_id=AGENT, document_id="doc_leave")
    assert listed[0].chunk.title == "Parental leave"


async def test_a_title_match_counts_more_than_a_body_match(container) -> None:
    store = container.chunk_store()
    # "refund" in the title of a chunk with eight other terms, and in the body of a chunk with
    # four others. Counted once (as a body term) the shorter chunk would win on BM25's length
    # normalisation (tf 1 at length 9: 0.90, vs tf 1 at length 5: 1.13, times the same idf); as a
    # title term it counts twice (TITLE_TERM_WEIGHT 2: tf 2 at length 10: 1.26 vs 1.16).
    await put(
        store,
        "doc_title",
        [
            titled_chunk(
                0, "Customers write emails asking questions regarding orders weekly.", "Refund", [1.0, 0.0, 0.0, 0.0]
            )
        ],
    )
    await put(store, "doc_body", [chunk(0, "Refund requests arrive daily online.", [0.0, 1.0, 0.0, 0.0])])
    hits = await search(store, "refund")
    assert [h.document_id for h in hits] == ["doc_title", "doc_body"]
