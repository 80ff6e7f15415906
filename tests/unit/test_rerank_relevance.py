"""The relevance gate with a reranker: the reranker's 0–1 score, read on its own scale, is the
passage's relevance when the reranker scored it; the embedding similarity otherwise."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.knowledge import (
    RelevanceScale,
    passage_relevance,
    rerank_relevance_scale,
)

DENSE = RelevanceScale(floor=0.2, gate=0.4, ceiling=0.8)
scores = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)
similarities = st.one_of(st.none(), st.floats(min_value=-1.0, max_value=1.0, allow_nan=False))
gates = st.floats(min_value=0.01, max_value=0.99)


def test_the_reranker_scale_reads_its_gate_as_the_owners_half_way_mark() -> None:
    scale = rerank_relevance_scale(0.2)
    # 0 -> 0, the gate 0.2 -> 0.5, 1 -> 1; linear between: 0.1 is half the gate, 0.6 half way from it to 1.
    assert [scale.relevance(s) for s in (0.0, 0.1, 0.2, 0.6, 1.0)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert rerank_relevance_scale().relevance(0.5) == pytest.approx(0.5)  # the default gate is 0.5


@pytest.mark.parametrize("gate", [0.0, 1.0, -0.1, 1.5])
def test_a_reranker_gate_outside_0_to_1_is_refused(gate: float) -> None:
    with pytest.raises(InvalidInput):
        rerank_relevance_scale(gate)


def test_the_reranker_score_decides_over_the_similarity() -> None:
    rerank = rerank_relevance_scale(0.5)
    # A near-verbatim similarity (0.8: relevance 1 on the dense scale) with a reranker that says no (0.05).
    assert passage_relevance(0.8, 0.05, dense=DENSE, rerank=rerank) == pytest.approx(0.05)
    # A weak similarity (0.25) the reranker judges relevant (0.9).
    assert passage_relevance(0.25, 0.9, dense=DENSE, rerank=rerank) == pytest.approx(0.9)
    # Not reranked: the similarity on the dense scale (0.6 is half way from the gate 0.4 to 0.8).
    assert passage_relevance(0.6, None, dense=DENSE, rerank=rerank) == pytest.approx(0.75)
    # Found by BM25 alone and reranked: measured now; neither: unknown.
    assert passage_relevance(None, 0.75, dense=DENSE, rerank=rerank) == pytest.approx(0.75)
    assert passage_relevance(None, None, dense=DENSE, rerank=rerank) is None
    # A reranker score that is not a number is no evidence: the similarity stands.
    assert passage_relevance(0.6, math.nan, dense=DENSE, rerank=rerank) == pytest.approx(0.75)


@given(similarities, scores, gates)
def test_a_reranked_passage_s_relevance_is_on_the_owners_scale_and_ignores_the_similarity(
    similarity: float | None, score: float, gate: float
) -> None:
    rerank = rerank_relevance_scale(gate)
    relevance = passage_relevance(similarity, score, dense=DENSE, rerank=rerank)
    assert relevance is not None and 0.0 <= relevance <= 1.0
    assert relevance == passage_relevance(None, score, dense=DENSE, rerank=rerank)
    # It passes the default owner's gate (0.5) exactly when the score reaches the reranker's gate.
    assert (relevance >= 0.5) == (score >= gate)


@given(scores, scores, gates)
def test_a_higher_reranker_score_is_never_less_relevant(a: float, b: float, gate: float) -> None:
    rerank = rerank_relevance_scale(gate)
    low, high = sorted((a, b))
    assert passage_relevance(0.3, low, dense=DENSE, rerank=rerank) <= passage_relevance(  # type: ignore[operator]
        0.3, high, dense=DENSE, rerank=rerank
    )
