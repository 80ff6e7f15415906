"""Bodies of the question-group routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.qa_pairs import MAX_ANSWER
from aioomi.domain.model.question_groups import QuestionGroup


class QuestionGroupOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    label: str
    count: int
    examples: list[str]
    reasons: list[str]
    first_seen: datetime
    last_seen: datetime
    status: str
    pair_id: str | None

    @classmethod
    def of(cls, g: QuestionGroup) -> QuestionGroupOut:
        return cls(
            id=g.id,
            agent_id=g.agent_id,
            label=g.label,
            count=g.count,
            examples=list(g.examples),
            reasons=[str(r) for r in g.reasons],
            first_seen=g.first_seen,
            last_seen=g.last_seen,
            status=str(g.status),
            pair_id=g.pair_id,
        )


class QuestionGroupList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[QuestionGroupOut]
    next_cursor: str | None = None


class GroupAnswer(msgspec.Struct, frozen=True, kw_only=True):
    answer: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER * 2)]


class RefreshQueued(msgspec.Struct, frozen=True, kw_only=True):
    status: str = "queued"
