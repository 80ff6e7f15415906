"""The owner's conversation review on Postgres: filters as ``EXISTS`` conditions on the
session's messages, the text search with Postgres full-text search (``to_tsvector('simple',
content)``, GIN-indexed in migration 0032: no stemming, every word must be in one message)."""

from __future__ import annotations

from typing import Any

import msgspec

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.chat import ChatSession, MessageStatus
from aioomi.domain.model.conversation_review import FeedbackFilter, Outcome, ReviewFilters, ReviewRow
from aioomi.domain.model.pagination import PageKey

_SESSION = (
    "s.id, s.account_id, s.agent_id, s.visitor_id, s.channel, s.created_at, s.last_message_at, s.ip, s.user_agent, "
    "s.handoff_state AS handoff, s.handoff_seq, s.handoff_requested_at, s.handoff_taken_at"
)
_MESSAGES = "SELECT 1 FROM chat_messages m WHERE m.session_id = s.id AND m.account_id = s.account_id"


def _outcome(status: str | None, curated: bool) -> Outcome:
    if status is None or status == MessageStatus.STREAMING:
        return Outcome.NO_ANSWER
    if status == MessageStatus.UNANSWERED:
        return Outcome.UNANSWERED
    if status == MessageStatus.FAILED:
        return Outcome.FAILED
    return Outcome.CURATED if curated else Outcome.ANSWERED


class PostgresConversationReviewRepository(PostgresRepository):
    """:class:`aioomi.ports.conversation_review.ConversationReviewRepository`."""

    async def review(
        self, account_id: str, agent_id: str, filters: ReviewFilters, *, limit: int, after: PageKey | None = None
    ) -> list[ReviewRow]:
        conditions = ["s.account_id = %(a)s", "s.agent_id = %(agent)s"]
        params: dict[str, Any] = {"a": account_id, "agent": agent_id, "limit": limit}
        if filters.since is not None:
            conditions.append("s.created_at >= %(since)s")
            params["since"] = filters.since
        if filters.until is not None:
            conditions.append("s.created_at < %(until)s")
            params["until"] = filters.until
        if after is not None:
            conditions.append("(s.created_at, s.id) < (%(after_at)s, %(after_id)s)")
            params |= {"after_at": after.created_at, "after_id": after.id}
        if filters.unanswered:
            conditions.append(f"EXISTS ({_MESSAGES} AND m.status = 'unanswered')")
        if filters.feedback is FeedbackFilter.ANY:
            conditions.append(f"EXISTS ({_MESSAGES} AND m.feedback IS NOT NULL)")
        elif filters.feedback is not None:
            conditions.append(f"EXISTS ({_MESSAGES} AND m.feedback->>'rating' = %(rating)s)")
            params["rating"] = filters.feedback.value
        if filters.handed_off is not None:
            asked = (
                "EXISTS (SELECT 1 FROM handoff_events e WHERE e.session_id = s.id "
                "AND e.account_id = s.account_id AND e.kind = 'requested')"
            )
            conditions.append(asked if filters.handed_off else f"NOT {asked}")
        if filters.has_lead is not None:
            left = "EXISTS (SELECT 1 FROM leads l WHERE l.session_id = s.id AND l.account_id = s.account_id)"
            conditions.append(left if filters.has_lead else f"NOT {left}")
        if filters.text:
            conditions.append(
                f"EXISTS ({_MESSAGES} AND to_tsvector('simple', m.content) @@ plainto_tsquery('simple', %(text)s))"
            )
            params["text"] = filters.text
        rows = await self._rows(
            f"SELECT {_SESSION}, "
            "(SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id AND m.account_id = s.account_id) "
            "  AS message_count, "
            "(SELECT left(m.content, 200) FROM chat_messages m WHERE m.session_id = s.id "
            "  AND m.account_id = s.account_id AND m.role = 'user' ORDER BY m.created_at, m.seq LIMIT 1) "
            "  AS first_question, "
            "(SELECT m.status || CASE WHEN m.curated_pair_id IS NULL THEN '' ELSE ':curated' END "
            "  FROM chat_messages m WHERE m.session_id = s.id AND m.account_id = s.account_id "
            "  AND m.role = 'assistant' ORDER BY m.created_at DESC, m.seq DESC LIMIT 1) AS last_answer, "
            "(SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id AND m.account_id = s.account_id "
            "  AND m.feedback->>'rating' = 'up') AS thumbs_up, "
            "(SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id AND m.account_id = s.account_id "
            "  AND m.feedback->>'rating' = 'down') AS thumbs_down "
            f"FROM chat_sessions s WHERE {' AND '.join(conditions)} "
            "ORDER BY s.created_at DESC, s.id DESC LIMIT %(limit)s",
            params,
        )
        out = []
        for r in rows:
            status, _, curated = (r["last_answer"] or "").partition(":")
            out.append(
                ReviewRow(
                    session=msgspec.convert({k: r[k] for k in ChatSession.__struct_fields__}, ChatSession),
                    first_question=r["first_question"],
                    message_count=int(r["message_count"]),
                    outcome=_outcome(status or None, bool(curated)),
                    thumbs_up=int(r["thumbs_up"]),
                    thumbs_down=int(r["thumbs_down"]),
                )
            )
        return out
