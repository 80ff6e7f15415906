"""Bodies of the curated-answer routes: per-agent settings, and fixing an answer."""

from __future__ import annotations

from typing import Annotated

import msgspec

from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.model.qa_pairs import MAX_ALTERNATIVES, MAX_ANSWER


class CuratedSettingsIn(msgspec.Struct, frozen=True, kw_only=True):
    mode: Annotated[str, msgspec.Meta(max_length=20, description="`direct` or `passage`")]
    threshold: Annotated[float, msgspec.Meta(description="0–1, on the relevance gate's scale")]


class CuratedSettingsOut(msgspec.Struct, frozen=True, kw_only=True):
    mode: str
    threshold: float

    @classmethod
    def of(cls, s: CuratedSettings) -> CuratedSettingsOut:
        return cls(mode=str(s.mode), threshold=s.threshold)


class AnswerFix(msgspec.Struct, frozen=True, kw_only=True):
    """The right answer to the question an answer replied to (and other ways of asking it)."""

    message_id: Annotated[str, msgspec.Meta(max_length=100, description="The answer to fix (`msg_…`)")]
    answer: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER * 2)]
    alternatives: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=1_000)]], msgspec.Meta(max_length=MAX_ALTERNATIVES * 2)
    ] = []
