"""Wanting questions and their groups on Postgres (``question_groups``, migration 0032)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup, WantingQuestion

_COLUMNS = (
    "id, account_id, agent_id, key, label, count, examples, reasons, first_seen, last_seen, status, pair_id, updated_at"
)


def _params(g: QuestionGroup) -> tuple[Any, ...]:
    return (
        g.id,
        g.account_id,
        g.agent_id,
        g.key,
        g.label,
        g.count,
        Jsonb(list(g.examples)),
        Jsonb([str(r) for r in g.reasons]),
        g.first_seen,
        g.last_seen,
        g.status.value,
        g.pair_id,
        g.updated_at,
    )


class PostgresQuestionGroupRepository(PostgresRepository):
    """:class:`aioomi.ports.question_groups.QuestionGroupRepository` on ``chat_messages`` and
    ``question_groups``."""

    async def wanting(self, account_id: str, agent_id: str, *, limit: int) -> list[WantingQuestion]:
        rows = await self._rows(
            "SELECT q.id AS message_id, q.content AS text, q.created_at AS asked_at, "
            "CASE WHEN a.feedback->>'rating' = 'down' THEN 'disliked' "
            "     WHEN a.status = 'unanswered' THEN 'unanswered' ELSE 'no_sources' END AS reason "
            "FROM chat_messages a JOIN chat_messages q ON q.id = a.reply_to AND q.account_id = a.account_id "
            "WHERE a.account_id = %(a)s AND a.agent_id = %(agent)s AND a.role = 'assistant' AND ("
            "  a.status = 'unanswered' OR a.feedback->>'rating' = 'down' OR "
            "  (a.status = 'complete' AND a.citations = '[]'::jsonb AND a.curated_pair_id IS NULL)) "
            "ORDER BY q.created_at DESC, q.id DESC LIMIT %(limit)s",
            {"a": account_id, "agent": agent_id, "limit": limit},
        )
        return [msgspec.convert(r, WantingQuestion) for r in rows]

    async def replace_open(self, account_id: str, agent_id: str, groups: Sequence[QuestionGroup]) -> None:
        await self._execute(
            "DELETE FROM question_groups WHERE account_id = %s AND agent_id = %s AND status = 'open'",
            (account_id, agent_id),
        )
        if groups:
            with translated_errors():
                cur = self._conn.cursor()
                await cur.executemany(
                    f"INSERT INTO question_groups ({_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})",
                    [_params(g) for g in groups],
                )

    async def list(
        self, account_id: str, agent_id: str, *, status: GroupStatus | None, limit: int
    ) -> list[QuestionGroup]:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM question_groups WHERE account_id = %s AND agent_id = %s "
            "AND (%s::text IS NULL OR status = %s) ORDER BY count DESC, key LIMIT %s",
            (account_id, agent_id, status.value if status else None, status.value if status else None, limit),
        )
        return [msgspec.convert(r, QuestionGroup) for r in rows]

    async def get(self, account_id: str, group_id: str) -> QuestionGroup | None:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM question_groups WHERE id = %s AND account_id = %s", (group_id, account_id)
        )
        return msgspec.convert(rows[0], QuestionGroup) if rows else None

    async def update(self, group: QuestionGroup) -> bool:
        return 1 == await self._execute(
            "UPDATE question_groups SET status = %s, pair_id = %s, updated_at = %s WHERE id = %s AND account_id = %s",
            (group.status.value, group.pair_id, group.updated_at, group.id, group.account_id),
        )

    async def due_for_refresh(self, floor: datetime, *, limit: int) -> Sequence[tuple[str, str]]:
        rows = await self._rows(
            "SELECT ag.account_id, ag.id FROM agents ag "
            "LEFT JOIN question_group_refreshes r ON r.agent_id = ag.id AND r.account_id = ag.account_id "
            "WHERE EXISTS (SELECT 1 FROM chat_messages a "
            "  WHERE a.account_id = ag.account_id AND a.agent_id = ag.id AND a.role = 'assistant' AND ("
            "    a.status = 'unanswered' OR a.feedback->>'rating' = 'down' OR "
            "    (a.status = 'complete' AND a.citations = '[]'::jsonb AND a.curated_pair_id IS NULL)) "
            "  AND (a.created_at > greatest(r.refreshed_at, %(floor)s) OR (a.feedback->>'rating' = 'down' "
            "    AND (a.feedback->>'updated_at')::timestamptz > greatest(r.refreshed_at, %(floor)s)))) "
            "ORDER BY r.refreshed_at NULLS FIRST, ag.id LIMIT %(limit)s",
            {"floor": floor, "limit": limit},
        )
        return [(r["account_id"], r["id"]) for r in rows]

    async def mark_refreshed(self, account_id: str, agent_id: str, at: datetime) -> None:
        await self._execute(
            "INSERT INTO question_group_refreshes (agent_id, account_id, refreshed_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (agent_id) DO UPDATE SET refreshed_at = excluded.refreshed_at",
            (agent_id, account_id, at),
        )
