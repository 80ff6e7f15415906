"""Visitor feedback on answers, kept on the messages it rates (inside a unit of work)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.feedback import Feedback, FeedbackEntry, Rating


class AnswerFeedbackRepository(Protocol):
    """Votes on the account's answers; every call names the account and filters by it."""

    async def rate(self, account_id: str, message_id: str, feedback: Feedback) -> bool:
        """Store ``feedback`` on the message (replacing any earlier vote); False when the
        account has no such message."""
        ...

    async def list_for_agent(
        self,
        account_id: str,
        agent_id: str,
        *,
        limit: int,
        rating: Rating | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[FeedbackEntry]:
        """The agent's rated answers whose vote was last changed in ``[since, until)``, only
        those of ``rating`` when given, newest vote first (then message id), at most ``limit``,
        each with the question it answered."""
        ...
