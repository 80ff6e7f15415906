"""Test questions and their runs (inside a unit of work)."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.test_questions import TestQuestion, TestRun


class TestQuestionStore(Protocol):
    """The agents' test questions and runs, scoped to the unit of work's account; every call
    names the account too."""

    __test__: bool  # not a pytest class

    async def add(self, question: TestQuestion) -> None: ...

    async def get(self, account_id: str, question_id: str) -> TestQuestion | None: ...

    async def list_questions(self, account_id: str, agent_id: str) -> list[TestQuestion]:
        """The agent's test questions, oldest first (then id)."""
        ...

    async def update(self, question: TestQuestion) -> bool:
        """Store the question's text and expectation; False when there is no such question."""
        ...

    async def delete(self, account_id: str, question_id: str) -> bool: ...

    async def add_run(self, run: TestRun) -> None: ...

    async def get_run(self, account_id: str, run_id: str) -> TestRun | None: ...

    async def list_runs(self, account_id: str, agent_id: str, *, limit: int) -> list[TestRun]:
        """The agent's runs, latest first (by finish time, then id), at most ``limit``."""
        ...
