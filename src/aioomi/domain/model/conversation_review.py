"""The owner's review of conversations: filters (dates, feedback, unanswered, text) and what a
row shows (the first question, the number of messages, the outcome, the votes).

A conversation was handed off when its visitor asked for a person at least once (a ``requested``
handoff event), whatever came of it; it has a lead when the visitor left their details in it.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

import msgspec

from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.errors import InvalidInput

MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 20
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class FeedbackFilter(enum.StrEnum):
    ANY = "any"
    UP = "up"
    DOWN = "down"


class Outcome(enum.StrEnum):
    """How a conversation's last answer ended."""

    ANSWERED = "answered"
    CURATED = "curated"
    UNANSWERED = "unanswered"
    FAILED = "failed"
    NO_ANSWER = "no_answer"


class ReviewFilters(msgspec.Struct, frozen=True, kw_only=True):
    since: datetime | None = None
    until: datetime | None = None
    feedback: FeedbackFilter | None = None
    """Sessions with a vote (``any``), with a thumbs-up, or with a thumbs-down."""
    unanswered: bool = False
    """Only sessions where at least one answer fell back."""
    text: str | None = None
    """Every word of it in one message (full-text search, no stemming)."""
    handed_off: bool | None = None
    """``True``: only conversations whose visitor asked for a person; ``False``: only the others."""
    has_lead: bool | None = None
    """``True``: only conversations where the visitor left a lead; ``False``: only the others."""


class ReviewRow(msgspec.Struct, frozen=True, kw_only=True):
    session: ChatSession
    first_question: str | None
    message_count: int
    outcome: Outcome
    thumbs_up: int = 0
    thumbs_down: int = 0


def search_words(text: str) -> list[str]:
    """The words a search looks for: lower-case runs of letters and digits."""
    return _WORD.findall(text.lower())


def check_review_filters(filters: ReviewFilters) -> ReviewFilters:
    """Rules: a search of at most 200 characters and 20 words, with at least one word; dates
    with a time zone, ``until`` after ``since``."""
    for name, value in (("from", filters.since), ("to", filters.until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("Give a time zone (for example 2026-01-31T00:00:00Z).", code="invalid_range", field=name)
    if filters.since is not None and filters.until is not None and filters.until <= filters.since:
        raise InvalidInput("`to` must come after `from`.", code="invalid_range", field="to")
    if filters.text is not None:
        words = search_words(filters.text)
        if len(filters.text) > MAX_SEARCH_CHARS or len(words) > MAX_SEARCH_WORDS:
            raise InvalidInput(
                f"Search at most {MAX_SEARCH_CHARS} characters and {MAX_SEARCH_WORDS} words.",
                code="search_too_long",
                field="q",
            )
        if not words:
            raise InvalidInput("Search for at least one word.", code="search_empty", field="q")
        return msgspec.structs.replace(filters, text=" ".join(words))
    return filters
