"""The lexical index's pure rules (domain/model/knowledge.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.knowledge import Bm25, LexicalIndex, bm25_impact, impacts_stale, selective_terms


def test_selective_terms_are_the_rarest_present_ones_ties_by_term() -> None:
    df = {"shop": 40, "telescope": 1, "lens": 3, "absent": 0, "mirror": 3}
    assert selective_terms(df, 3) == ["telescope", "lens", "mirror"]
    assert selective_terms(df, 10) == ["telescope", "lens", "mirror", "shop"]
    assert selective_terms({"a": 0}, 5) == []


def test_impact_is_the_bm25_weight_without_idf() -> None:
    bm25 = Bm25(k1=1.2, b=0.75)
    # tf 2 in a chunk of 10 terms, average 5: 2·2.2 / (2 + 1.2·(0.25 + 0.75·2)) = 4.4 / 4.1
    assert bm25_impact(bm25, 2, 10, 5.0) == pytest.approx(4.4 / 4.1)


@given(tf=st.integers(1, 50), length=st.integers(1, 500), avg=st.floats(1.0, 500.0), df=st.integers(1, 1000))
def test_idf_times_impact_is_the_term_score(tf: int, length: int, avg: float, df: int) -> None:
    bm25 = Bm25()
    idf = bm25.idf(1000, df)
    assert idf * bm25_impact(bm25, tf, length, avg) == pytest.approx(bm25.term_score(tf, length, avg, idf))


def test_impacts_are_stale_when_missing_or_drifted_past_the_bound() -> None:
    assert impacts_stale(None, 10.0, 0.1)
    assert not impacts_stale(10.0, 10.9, 0.1)
    assert impacts_stale(10.0, 11.5, 0.1)
    assert impacts_stale(10.0, 8.5, 0.1)


@pytest.mark.parametrize(
    "kwargs", [{"max_query_terms": 0}, {"postings_per_term": 0}, {"impact_drift": 0.0}, {"impact_drift": 1.0}]
)
def test_the_lexical_limits_must_make_sense(kwargs: dict) -> None:
    with pytest.raises(InvalidInput):
        LexicalIndex(**kwargs)
