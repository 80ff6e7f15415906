"""The owner's analytics on Postgres: grouped counts over ``chat_sessions``, ``chat_messages``
and ``question_groups`` (days are UTC days)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.analytics import CitedDocument, DayCounts, TopGroup

_AGENT = "(%(agent)s::text IS NULL OR {t}.agent_id = %(agent)s)"


class PostgresAnalyticsRepository(PostgresRepository):
    """:class:`aioomi.ports.analytics.AnalyticsRepository`."""

    @staticmethod
    def _params(account_id: str, agent_id: str | None, since: datetime, until: datetime, **more: Any) -> dict[str, Any]:
        return {"a": account_id, "agent": agent_id, "since": since, "until": until, **more}

    async def daily(self, account_id: str, agent_id: str | None, since: datetime, until: datetime) -> list[DayCounts]:
        rows = await self._rows(
            "WITH s AS ("
            "  SELECT (s.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS conversations "
            "  FROM chat_sessions s WHERE s.account_id = %(a)s AND " + _AGENT.format(t="s") + " "
            "  AND s.created_at >= %(since)s AND s.created_at < %(until)s GROUP BY 1"
            "), m AS ("
            "  SELECT (m.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS messages, "
            "  count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'complete') AS answered, "
            "  count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'unanswered') AS unanswered, "
            "  count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'failed') AS failed, "
            "  count(*) FILTER (WHERE m.role = 'assistant' AND m.feedback->>'rating' = 'up') AS thumbs_up, "
            "  count(*) FILTER (WHERE m.role = 'assistant' AND m.feedback->>'rating' = 'down') AS thumbs_down, "
            "  count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'complete' "
            "    AND m.curated_pair_id IS NOT NULL) AS curated_hits "
            "  FROM chat_messages m WHERE m.account_id = %(a)s AND " + _AGENT.format(t="m") + " "
            "  AND m.created_at >= %(since)s AND m.created_at < %(until)s GROUP BY 1"
            ") "
            "SELECT coalesce(s.day, m.day) AS day, coalesce(s.conversations, 0) AS conversations, "
            "coalesce(m.messages, 0) AS messages, coalesce(m.answered, 0) AS answered, "
            "coalesce(m.unanswered, 0) AS unanswered, coalesce(m.failed, 0) AS failed, "
            "coalesce(m.thumbs_up, 0) AS thumbs_up, coalesce(m.thumbs_down, 0) AS thumbs_down, "
            "coalesce(m.curated_hits, 0) AS curated_hits "
            "FROM s FULL JOIN m ON m.day = s.day ORDER BY 1",
            self._params(account_id, agent_id, since, until),
        )
        return [msgspec.convert(r, DayCounts) for r in rows]

    async def top_documents(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime, *, limit: int
    ) -> list[CitedDocument]:
        rows = await self._rows(
            "WITH c AS ("
            "  SELECT DISTINCT ON (m.id, c->>'document_id') c->>'document_id' AS document_id, "
            "  c->>'document_title' AS title, m.created_at, m.id "
            "  FROM chat_messages m CROSS JOIN LATERAL jsonb_array_elements(m.citations) c "
            "  WHERE m.account_id = %(a)s AND " + _AGENT.format(t="m") + " AND m.role = 'assistant' "
            "  AND m.created_at >= %(since)s AND m.created_at < %(until)s"
            ") "
            "SELECT document_id, "
            "(array_agg(title ORDER BY created_at DESC, id DESC))[1] AS title, count(*) AS answers "
            "FROM c GROUP BY document_id ORDER BY answers DESC, document_id LIMIT %(limit)s",
            self._params(account_id, agent_id, since, until, limit=limit),
        )
        return [msgspec.convert(r, CitedDocument) for r in rows]

    async def top_groups(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime, *, limit: int
    ) -> list[TopGroup]:
        rows = await self._rows(
            "SELECT g.id, g.agent_id, g.label, g.count, g.last_seen FROM question_groups g "
            "WHERE g.account_id = %(a)s AND " + _AGENT.format(t="g") + " AND g.status = 'open' "
            "AND g.last_seen >= %(since)s AND g.last_seen < %(until)s ORDER BY g.count DESC, g.id LIMIT %(limit)s",
            self._params(account_id, agent_id, since, until, limit=limit),
        )
        return [msgspec.convert(r, TopGroup) for r in rows]
