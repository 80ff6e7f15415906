"""Curated answers: the owner's own answers (question-and-answer pairs) winning over generation.

Per agent, the owner chooses how a pair that matches the visitor's question is used:
``direct`` serves the pair's answer as it is (no model call, the message marked ``curated``
with its pair), ``passage`` gives it to the model as the top passage. A pair *matches* when
one of its passages was retrieved for the question with a relevance (the calibrated 0–1 scale
of the relevance gate) at or above the agent's ``threshold``. The rule is pure and
property-tested: above its threshold, a curated answer always wins.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import TypeVar

import msgspec

from aioomi.domain.model.errors import InvalidInput

DEFAULT_CURATED_THRESHOLD = 0.8


class CuratedMode(enum.StrEnum):
    DIRECT = "direct"
    PASSAGE = "passage"


class CuratedSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How an agent uses its curated answers (the default until the owner chooses: as the
    model's top passage, at 0.8)."""

    mode: CuratedMode = CuratedMode.PASSAGE
    threshold: float = DEFAULT_CURATED_THRESHOLD


class CuratedCandidate(msgspec.Struct, frozen=True, kw_only=True):
    """A retrieved passage of a question-and-answer pair, with its relevance to the question."""

    pair_id: str
    relevance: float


def check_curated_settings(mode: str, threshold: float) -> CuratedSettings:
    try:
        checked = CuratedMode(mode)
    except ValueError:
        raise InvalidInput("The mode is `direct` or `passage`.", code="invalid_curated_mode", field="mode") from None
    if not 0.0 <= threshold <= 1.0:  # also refuses NaN
        raise InvalidInput("The threshold is between 0 and 1.", code="invalid_curated_threshold", field="threshold")
    return CuratedSettings(mode=checked, threshold=threshold)


def best_match(candidates: Sequence[CuratedCandidate], threshold: float) -> CuratedCandidate | None:
    """The pair that answers: the most relevant candidate at or above ``threshold`` (ties: the
    smaller pair id, so the choice does not depend on the order of retrieval); ``None`` when
    none reaches it."""
    above = [c for c in candidates if c.relevance >= threshold]
    return min(above, key=lambda c: (-c.relevance, c.pair_id)) if above else None


T = TypeVar("T")


def promote(passages: Sequence[T], first: Callable[[T], bool]) -> list[T]:
    """``passages`` with those ``first`` picks moved to the top, each group in its order."""
    return [p for p in passages if first(p)] + [p for p in passages if not first(p)]
