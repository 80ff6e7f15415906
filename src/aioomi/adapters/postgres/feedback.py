"""Feedback on answers on Postgres: the ``feedback`` column of ``chat_messages`` (migration
0031), on the unit of work's connection; every query also filters by account itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.feedback import Feedback, FeedbackEntry, Rating


class PostgresAnswerFeedbackRepository(PostgresRepository):
    """:class:`aioomi.ports.feedback.AnswerFeedbackRepository` on ``chat_messages.feedback``."""

    async def rate(self, account_id: str, message_id: str, feedback: Feedback) -> bool:
        return 1 == await self._execute(
            "UPDATE chat_messages SET feedback = %s WHERE id = %s AND account_id = %s",
            (Jsonb(msgspec.to_builtins(feedback)), message_id, account_id),
        )

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
        conditions = ["m.account_id = %(a)s", "m.agent_id = %(agent)s", "m.feedback IS NOT NULL"]
        params: dict[str, Any] = {"a": account_id, "agent": agent_id, "limit": limit}
        if rating is not None:
            conditions.append("m.feedback->>'rating' = %(rating)s")
            params["rating"] = rating.value
        if since is not None:
            conditions.append("(m.feedback->>'updated_at')::timestamptz >= %(since)s")
            params["since"] = since
        if until is not None:
            conditions.append("(m.feedback->>'updated_at')::timestamptz < %(until)s")
            params["until"] = until
        rows = await self._rows(
            "SELECT m.id AS message_id, m.session_id, m.agent_id, m.feedback, m.content AS answer, "
            "q.content AS question FROM chat_messages m "
            "LEFT JOIN chat_messages q ON q.id = m.reply_to AND q.account_id = m.account_id "
            f"WHERE {' AND '.join(conditions)} "
            "ORDER BY (m.feedback->>'updated_at')::timestamptz DESC, m.id DESC LIMIT %(limit)s",
            params,
        )
        return [msgspec.convert(row, FeedbackEntry) for row in rows]
