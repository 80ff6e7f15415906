"""Bodies of the feedback routes: a visitor's vote on an answer, and the owner's list of votes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.feedback import MAX_FEEDBACK_COMMENT, Feedback, FeedbackEntry


class FeedbackCreate(msgspec.Struct, frozen=True, kw_only=True):
    """A thumbs up or down, with an optional comment (sent again, it replaces the last vote)."""

    rating: Annotated[str, msgspec.Meta(max_length=10, description="`up` or `down`")]
    comment: (
        Annotated[
            str, msgspec.Meta(max_length=MAX_FEEDBACK_COMMENT * 2, description="Optional, at most 1,000 characters")
        ]
        | None
    ) = None


class FeedbackOut(msgspec.Struct, frozen=True, kw_only=True):
    rating: str
    comment: str | None
    given_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, f: Feedback) -> FeedbackOut:
        return cls(rating=str(f.rating), comment=f.comment, given_at=f.given_at, updated_at=f.updated_at)


class RatedAnswerOut(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    session_id: str
    agent_id: str
    question: str | None
    answer: str
    feedback: FeedbackOut

    @classmethod
    def of(cls, e: FeedbackEntry) -> RatedAnswerOut:
        return cls(
            message_id=e.message_id,
            session_id=e.session_id,
            agent_id=e.agent_id,
            question=e.question,
            answer=e.answer,
            feedback=FeedbackOut.of(e.feedback),
        )


class RatedAnswerList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[RatedAnswerOut]
    next_cursor: str | None = None
