"""Reciprocal-rank fusion and hybrid fusion: properties that hold for any input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.knowledge import (
    Bm25,
    HybridFusion,
    SearchCandidate,
    fuse,
    reciprocal_rank_fusion,
)

ids = st.lists(st.sampled_from([f"c{i}" for i in range(30)]), max_size=30)
rankings = st.lists(ids, min_size=1, max_size=4)


@given(rankings)
def test_every_item_appears_once_best_first(lists: list[list[str]]) -> None:
    fused = reciprocal_rank_fusion(lists)
    items = [item for item, _ in fused]
    assert len(items) == len(set(items)) == len({x for ranking in lists for x in ranking})
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)


@given(rankings)
def test_a_single_ranking_keeps_its_order(lists: list[list[str]]) -> None:
    ranking = list(dict.fromkeys(lists[0]))
    assert [item for item, _ in reciprocal_rank_fusion([ranking])] == ranking


@given(rankings, st.integers(min_value=0, max_value=100))
def test_score_is_the_sum_of_reciprocal_ranks(lists: list[list[str]], k: int) -> None:
    fused = dict(reciprocal_rank_fusion(lists, k=k))
    for item, score in fused.items():
        expected = sum(1 / (k + list(dict.fromkeys(r)).index(item) + 1) for r in lists if item in r)
        assert score == pytest.approx(expected)


@given(ids, ids)
def test_agreement_wins_first_place_in_both_beats_anything(a: list[str], b: list[str]) -> None:
    fused = reciprocal_rank_fusion([["top", *a], ["top", *b]])
    assert fused[0][0] == "top"


@given(rankings)
def test_zero_weight_silences_a_ranking(lists: list[list[str]]) -> None:
    weights = [1.0] + [0.0] * (len(lists) - 1)
    fused = [item for item, score in reciprocal_rank_fusion(lists, weights=weights) if score > 0]
    assert fused == list(dict.fromkeys(lists[0]))


def test_bad_weights_are_refused() -> None:
    with pytest.raises(InvalidInput):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])
    with pytest.raises(InvalidInput):
        reciprocal_rank_fusion([["a"]], weights=[-1.0])


candidates = st.lists(
    st.builds(
        SearchCandidate,
        chunk_id=st.sampled_from([f"chk_{i}" for i in range(20)]),
        document_id=st.just("doc_1"),
        position=st.integers(0, 50),
        text=st.just("t"),
        similarity=st.floats(-1, 1),
        dense_rank=st.none() | st.integers(1, 40),
        lexical_rank=st.none() | st.integers(1, 40),
    ),
    max_size=20,
    unique_by=lambda c: c.chunk_id,
)


@given(candidates, st.integers(1, 10), st.floats(-1, 1))
def test_fuse_respects_top_k_and_the_similarity_floor(cands, top_k: int, floor: float) -> None:
    results = fuse(cands, top_k=top_k, min_similarity=floor, fusion=HybridFusion())
    assert len(results) <= top_k
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    for r in results:
        assert r.dense_rank is not None or r.lexical_rank is not None
        if r.dense_rank is not None:
            assert r.similarity is not None and r.similarity >= floor


@given(st.integers(1, 10_000), st.integers(1, 10_000))
def test_bm25_idf_is_positive_and_falls_with_document_frequency(n: int, df: int) -> None:
    bm25 = Bm25()
    df = min(df, n)
    assert bm25.idf(n, df) > 0
    if df < n:
        assert bm25.idf(n, df) > bm25.idf(n, df + 1)
