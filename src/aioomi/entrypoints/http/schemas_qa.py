"""Request and response bodies of the question-and-answer pairs API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.documents import MAX_TITLE
from aioomi.domain.model.qa_pairs import MAX_ALTERNATIVES, MAX_ANSWER, QaPair, QaPairInput

Question = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE * 2)]


class QaPairIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A question (the document's title, searched as such), its answer and up to 10 other ways
    of asking it."""

    question: Question
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ANSWER * 2)]
    alternatives: Annotated[list[Question], msgspec.Meta(max_length=MAX_ALTERNATIVES * 2)] = []

    def domain(self) -> QaPairInput:
        return QaPairInput(question=self.question, answer=self.answer, alternatives=tuple(self.alternatives))


class QaPairOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    """Also the id of the pair's document (its ingestion status is the document's)."""
    source_id: str
    question: str
    answer: str
    alternatives: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, pair: QaPair) -> QaPairOut:
        return cls(
            id=pair.id,
            source_id=pair.source_id,
            question=pair.question,
            answer=pair.answer,
            alternatives=list(pair.alternatives),
            created_at=pair.created_at,
            updated_at=pair.updated_at,
        )


class QaPairList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[QaPairOut]


class QaImportOut(msgspec.Struct, frozen=True, kw_only=True):
    created: int
    updated: int
    unchanged: int
