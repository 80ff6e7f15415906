"""Invariants of the pure domain rules, as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.jobs import BACKOFF_CAP, periodic_slot, retry_delay

prefixes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6)
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
periods = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30))


@given(prefixes)
def test_ids_carry_their_prefix_and_are_recognised(prefix: str) -> None:
    made = new_id(prefix)
    assert made.startswith(prefix + "_")
    assert is_id(made, prefix)
    assert not is_id(made, prefix + "x" if len(prefix) < 6 else "zz")


def test_ids_do_not_repeat() -> None:
    assert len({new_id("job") for _ in range(10_000)}) == 10_000


@pytest.mark.parametrize("prefix", ["", "a", "UPPER", "toolong1", "has_x"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError):
        new_id(prefix)


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_grows_and_is_capped(attempts: int) -> None:
    delay = retry_delay(attempts)
    assert timedelta(0) < delay <= BACKOFF_CAP
    assert retry_delay(attempts + 1) >= delay


@given(instants, periods)
def test_periodic_slot_contains_now(now: datetime, every: timedelta) -> None:
    slot = periodic_slot(now, every)
    assert slot <= now < slot + every


@given(instants, periods, st.floats(min_value=0, max_value=0.999))
def test_every_instant_in_a_slot_maps_to_the_same_slot(now: datetime, every: timedelta, fraction: float) -> None:
    slot = periodic_slot(now, every)
    other = slot + every * fraction
    assert periodic_slot(other, every) == slot


def test_an_upload_without_a_title_is_named_after_its_file_made_readable() -> None:
    from aioomi.domain.model.documents import DocumentUpload, default_title

    def title(**kw: object) -> str:
        return default_title(DocumentUpload(data=b"x", **kw))  # type: ignore[arg-type]

    assert title(filename="returns_policy-2024.pdf") == "Returns policy 2024"
    assert title(filename="FAQ.md") == "FAQ"
    assert title(title="  Our   prices ", filename="p.csv") == "Our prices"
    assert title(source_url="https://shop.example/help") == "https://shop.example/help"
    assert title() == "Untitled document"


def test_the_relevance_gate_follows_the_size_of_the_knowledge_base() -> None:
    from aioomi.domain.model.knowledge import RelevanceScale

    scale = RelevanceScale(
        floor=0.1, gate=0.4, ceiling=0.8, gate_per_decade=0.1, gate_at_chunks=1_000, min_gate=0.3, max_gate=0.45
    )
    assert scale.for_size(1_000).gate == 0.4
    assert round(scale.for_size(100).gate, 6) == 0.3  # a tenth of the size: one decade lower
    assert scale.for_size(10).gate == 0.3  # clamped
    assert scale.for_size(100_000).gate == 0.45  # clamped
    assert scale.for_size(0) == scale  # size unknown: as measured
    small = scale.for_size(100)
    assert round(small.relevance(0.3), 6) == 0.5 and small.relevance(0.1) == 0.0 and small.relevance(0.8) == 1.0
    # The same similarity is less sure in a larger base: 0.5 x (0.3 - 0.1) / (0.4 - 0.1) = 1/3.
    assert round(scale.relevance(0.3), 6) == 0.333333
