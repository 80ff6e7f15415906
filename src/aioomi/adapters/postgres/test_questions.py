"""Test questions and runs on Postgres (``test_questions``, ``test_runs``, migration 0039)."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.test_questions import TestQuestion, TestRun

_QUESTION = "id, account_id, agent_id, question, kind, facts, document_id, created_at, updated_at"
_RUN = "id, account_id, agent_id, trigger, started_at, finished_at, results"


class PostgresTestQuestionStore(PostgresRepository):
    """:class:`aioomi.ports.test_questions.TestQuestionStore` on ``test_questions`` and
    ``test_runs``."""

    __test__ = False

    async def add(self, question: TestQuestion) -> None:
        await self._execute(
            f"INSERT INTO test_questions ({_QUESTION}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                question.id,
                question.account_id,
                question.agent_id,
                question.question,
                question.kind.value,
                Jsonb(list(question.facts)),
                question.document_id,
                question.created_at,
                question.updated_at,
            ),
        )

    async def get(self, account_id: str, question_id: str) -> TestQuestion | None:
        rows = await self._rows(
            f"SELECT {_QUESTION} FROM test_questions WHERE id = %s AND account_id = %s", (question_id, account_id)
        )
        return msgspec.convert(rows[0], TestQuestion) if rows else None

    async def list_questions(self, account_id: str, agent_id: str) -> list[TestQuestion]:
        rows = await self._rows(
            f"SELECT {_QUESTION} FROM test_questions WHERE account_id = %s AND agent_id = %s ORDER BY created_at, id",
            (account_id, agent_id),
        )
        return [msgspec.convert(r, TestQuestion) for r in rows]

    async def update(self, question: TestQuestion) -> bool:
        return 1 == await self._execute(
            "UPDATE test_questions SET question = %s, kind = %s, facts = %s, document_id = %s, updated_at = %s "
            "WHERE id = %s AND account_id = %s",
            (
                question.question,
                question.kind.value,
                Jsonb(list(question.facts)),
                question.document_id,
                question.updated_at,
                question.id,
                question.account_id,
            ),
        )

    async def delete(self, account_id: str, question_id: str) -> bool:
        return 1 == await self._execute(
            "DELETE FROM test_questions WHERE id = %s AND account_id = %s", (question_id, account_id)
        )

    async def add_run(self, run: TestRun) -> None:
        await self._execute(
            f"INSERT INTO test_runs ({_RUN}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                run.id,
                run.account_id,
                run.agent_id,
                run.trigger.value,
                run.started_at,
                run.finished_at,
                Jsonb(msgspec.to_builtins(run.results)),
            ),
        )

    async def get_run(self, account_id: str, run_id: str) -> TestRun | None:
        rows = await self._rows(f"SELECT {_RUN} FROM test_runs WHERE id = %s AND account_id = %s", (run_id, account_id))
        return _run(rows[0]) if rows else None

    async def list_runs(self, account_id: str, agent_id: str, *, limit: int) -> list[TestRun]:
        rows = await self._rows(
            f"SELECT {_RUN} FROM test_runs WHERE account_id = %s AND agent_id = %s "
            "ORDER BY finished_at DESC, id DESC LIMIT %s",
            (account_id, agent_id, limit),
        )
        return [_run(r) for r in rows]


def _run(row: dict[str, Any]) -> TestRun:
    return msgspec.convert(row, TestRun)
