"""Visitor feedback on answers: a thumbs up or down with an optional comment, one per answer
(the answer's session belongs to one visitor, so one vote per visitor per answer), changeable.

The vote is stored with the message it rates, so it goes wherever the conversation goes
(erasure, retention, a visitor's own deletion) and comes with it in every export.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime

import msgspec

from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound

MAX_FEEDBACK_COMMENT = 1_000


class Rating(enum.StrEnum):
    UP = "up"
    DOWN = "down"


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    """A visitor's verdict on one answer. ``given_at``: the first vote; ``updated_at``: the
    last change (equal to ``given_at`` until the visitor changes their mind)."""

    rating: Rating
    comment: str | None = None
    given_at: datetime
    updated_at: datetime


class FeedbackEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A rated answer as the owner's lists see it: the vote, the answer and the question it
    answered (``None`` when the question is gone)."""

    message_id: str
    session_id: str
    agent_id: str
    feedback: Feedback
    answer: str
    question: str | None = None


class MessageNotFound(NotFound):
    code = "message_not_found"
    title = "Message not found"


class FeedbackNotAllowed(Conflict):
    """Only a finished answer of the assistant can be rated: not a visitor's own message, not
    an answer still streaming or one that failed."""

    code = "feedback_not_allowed"
    title = "This message cannot be rated"


def check_rating(raw: str, field: str = "rating") -> Rating:
    try:
        return Rating(raw)
    except ValueError:
        raise InvalidInput("The rating is `up` or `down`.", code="invalid_rating", field=field) from None


def check_comment(raw: str | None, field: str = "comment") -> str | None:
    """An optional comment: trimmed, at most 1,000 characters, no control characters but line
    breaks; empty means none."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_FEEDBACK_COMMENT:
        raise InvalidInput(
            f"A comment has at most {MAX_FEEDBACK_COMMENT:,} characters.", code="comment_too_long", field=field
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r" for c in text):
        raise InvalidInput("The comment contains control characters.", code="comment_invalid", field=field)
    return text


def vote(previous: Feedback | None, rating: Rating, comment: str | None, now: datetime) -> Feedback:
    """The vote after this one: the first vote keeps its time, a change moves ``updated_at``;
    the comment is replaced (a vote without a comment clears an earlier one)."""
    given_at = previous.given_at if previous is not None else now
    return Feedback(rating=rating, comment=comment, given_at=given_at, updated_at=now)
