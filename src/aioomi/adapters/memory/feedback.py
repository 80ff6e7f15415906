"""Feedback on answers in memory: the vote lives on the message, as in Postgres."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.chat import ChatMessage
from aioomi.domain.model.feedback import Feedback, FeedbackEntry, Rating


class InMemoryAnswerFeedbackRepository:
    """:class:`aioomi.ports.feedback.AnswerFeedbackRepository` on the messages' :class:`Table`."""

    def __init__(self, messages: Table[ChatMessage]) -> None:
        self._messages = messages

    async def rate(self, account_id: str, message_id: str, feedback: Feedback) -> bool:
        message = self._messages.get(message_id)
        if message is None or message.account_id != account_id:
            return False
        self._messages.put(message_id, msgspec.structs.replace(message, feedback=feedback))
        return True

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
        found: list[FeedbackEntry] = []
        for m in self._messages.values():
            vote = m.feedback
            if (
                vote is None
                or m.account_id != account_id
                or m.agent_id != agent_id
                or (rating is not None and vote.rating is not rating)
                or (since is not None and vote.updated_at < since)
                or (until is not None and vote.updated_at >= until)
            ):
                continue
            question = self._messages.get(m.reply_to) if m.reply_to else None
            found.append(
                FeedbackEntry(
                    message_id=m.id,
                    session_id=m.session_id,
                    agent_id=m.agent_id,
                    feedback=vote,
                    answer=m.content,
                    question=question.content if question is not None and question.account_id == account_id else None,
                )
            )
        found.sort(key=lambda e: (e.feedback.updated_at, e.message_id), reverse=True)
        return found[:limit]
