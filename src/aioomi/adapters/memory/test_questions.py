"""Test questions and runs in memory, with the Postgres store's semantics."""

from __future__ import annotations

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.test_questions import TestQuestion, TestRun


class InMemoryTestQuestionStore:
    """:class:`aioomi.ports.test_questions.TestQuestionStore` on two :class:`Table`."""

    __test__ = False

    def __init__(self, questions: Table[TestQuestion], runs: Table[TestRun]) -> None:
        self._questions = questions
        self._runs = runs

    async def add(self, question: TestQuestion) -> None:
        self._questions.put(question.id, question)

    async def get(self, account_id: str, question_id: str) -> TestQuestion | None:
        q = self._questions.get(question_id)
        return q if q is not None and q.account_id == account_id else None

    async def list_questions(self, account_id: str, agent_id: str) -> list[TestQuestion]:
        mine = [q for q in self._questions.values() if q.account_id == account_id and q.agent_id == agent_id]
        return sorted(mine, key=lambda q: (q.created_at, q.id))

    async def update(self, question: TestQuestion) -> bool:
        if await self.get(question.account_id, question.id) is None:
            return False
        self._questions.put(question.id, question)
        return True

    async def delete(self, account_id: str, question_id: str) -> bool:
        if await self.get(account_id, question_id) is None:
            return False
        self._questions.delete(question_id)
        return True

    async def add_run(self, run: TestRun) -> None:
        self._runs.put(run.id, run)

    async def get_run(self, account_id: str, run_id: str) -> TestRun | None:
        r = self._runs.get(run_id)
        return r if r is not None and r.account_id == account_id else None

    async def list_runs(self, account_id: str, agent_id: str, *, limit: int) -> list[TestRun]:
        mine = [r for r in self._runs.values() if r.account_id == account_id and r.agent_id == agent_id]
        return sorted(mine, key=lambda r: (r.finished_at, r.id), reverse=True)[:limit]
