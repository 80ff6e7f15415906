"""Bodies of the test-question routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from aioomi.domain.model.test_questions import (
    MAX_FACT_CHARS,
    MAX_FACTS,
    MAX_QUESTION_CHARS,
    ExpectationKind,
    Outcome,
    TestQuestion,
    TestResult,
    TestRun,
)


class TestQuestionIn(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    question: Annotated[str, msgspec.Meta(max_length=MAX_QUESTION_CHARS * 2)]
    kind: ExpectationKind
    facts: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=MAX_FACT_CHARS * 2)]], msgspec.Meta(max_length=MAX_FACTS)
    ] = []
    document_id: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class TestQuestionOut(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    id: str
    agent_id: str
    question: str
    kind: str
    facts: list[str]
    document_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, q: TestQuestion) -> TestQuestionOut:
        return cls(
            id=q.id,
            agent_id=q.agent_id,
            question=q.question,
            kind=str(q.kind),
            facts=list(q.facts),
            document_id=q.document_id,
            created_at=q.created_at,
            updated_at=q.updated_at,
        )


class TestQuestionList(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    data: list[TestQuestionOut]


class TestResultOut(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    question_id: str
    question: str
    kind: str
    outcome: str
    excerpt: str
    cited_document_ids: list[str]
    change: str | None

    @classmethod
    def of(cls, r: TestResult) -> TestResultOut:
        return cls(
            question_id=r.question_id,
            question=r.question,
            kind=str(r.kind),
            outcome=str(r.outcome),
            excerpt=r.excerpt,
            cited_document_ids=list(r.cited_document_ids),
            change=str(r.change) if r.change is not None else None,
        )


class TestRunOut(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    id: str
    agent_id: str
    trigger: str
    started_at: datetime
    finished_at: datetime
    passed: int
    failed: int
    not_applicable: int
    newly_failing: list[str]
    newly_passing: list[str]
    results: list[TestResultOut] | None = None

    @classmethod
    def of(cls, run: TestRun, *, with_results: bool) -> TestRunOut:
        return cls(
            id=run.id,
            agent_id=run.agent_id,
            trigger=str(run.trigger),
            started_at=run.started_at,
            finished_at=run.finished_at,
            passed=run.count(Outcome.PASSED),
            failed=run.count(Outcome.FAILED),
            not_applicable=run.count(Outcome.NOT_APPLICABLE),
            newly_failing=[r.question_id for r in run.results if r.change == "newly_failing"],
            newly_passing=[r.question_id for r in run.results if r.change == "newly_passing"],
            results=[TestResultOut.of(r) for r in run.results] if with_results else None,
        )


class TestRunList(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    data: list[TestRunOut]


class TestRunQueued(msgspec.Struct, frozen=True, kw_only=True):
    __test__ = False

    status: Literal["queued"] = "queued"
