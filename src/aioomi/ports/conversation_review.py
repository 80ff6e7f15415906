"""The owner's conversation review (inside a unit of work)."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.conversation_review import ReviewFilters, ReviewRow
from aioomi.domain.model.pagination import PageKey


class ConversationReviewRepository(Protocol):
    """Scoped to the unit of work's account; every call names the account too."""

    async def review(
        self, account_id: str, agent_id: str, filters: ReviewFilters, *, limit: int, after: PageKey | None = None
    ) -> list[ReviewRow]:
        """The agent's sessions that pass ``filters`` (checked: ``text`` is lower-case words
        separated by spaces, every one of which must be in one message), newest first (creation
        time, then id) after ``after``, at most ``limit``; each with its first visitor message
        (≤ 200 characters), its message count, the outcome of its last answer and its votes."""
        ...
