"""Test questions: per agent, questions with one expectation each, run against the agent's
current settings and knowledge (issue 19, "Evals").

An expectation is one of:

- ``mentions``: the answer contains every one of ``facts`` (case-insensitive substrings);
- ``cites``: the answer cites the document ``document_id``;
- ``falls_back``: the answer is the agent's fallback (nothing in the knowledge passed the gate).

:func:`evaluate` is the rule: with the offline extractive responder the answer's wording is
passages copied out, not a model's answer, so ``mentions`` is ``not_applicable`` there (never
passed or failed). :func:`compare_runs` says what changed since the previous run: a question that
passed there and fails now is *newly failing*, the reverse *newly passing*; a not-applicable
outcome on either side changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime

import msgspec

from aioomi.domain.model.errors import InvalidInput, NotFound

TEST_QUESTION_PREFIX = "tq"
TEST_RUN_PREFIX = "trun"
MAX_QUESTION_CHARS = 4_000
MAX_FACTS = 20
MAX_FACT_CHARS = 200
MAX_TEST_QUESTIONS = 200  # per agent: one run answers each of them
EXCERPT_CHARS = 300


class ExpectationKind(enum.StrEnum):
    MENTIONS = "mentions"
    CITES = "cites"
    FALLS_BACK = "falls_back"


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class Change(enum.StrEnum):
    NEWLY_FAILING = "newly_failing"
    NEWLY_PASSING = "newly_passing"


class RunTrigger(enum.StrEnum):
    MANUAL = "manual"
    KNOWLEDGE = "knowledge"
    SETTINGS = "settings"


class TestQuestionNotFound(NotFound):
    code = "test_question_not_found"
    title = "Test question not found"


class TestRunNotFound(NotFound):
    code = "test_run_not_found"
    title = "Test run not found"


class TestQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """A question the owner expects the agent to answer a certain way."""

    __test__ = False  # not a pytest class

    id: str
    account_id: str
    agent_id: str
    question: str
    kind: ExpectationKind
    facts: tuple[str, ...] = ()
    document_id: str | None = None
    created_at: datetime
    updated_at: datetime


class TestAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """What the agent answered a test question: its text, the documents it cited, and whether
    it was the fallback."""

    __test__ = False

    text: str
    cited_document_ids: tuple[str, ...]
    fell_back: bool


class TestResult(msgspec.Struct, frozen=True, kw_only=True):
    """One question's outcome in a run (the question as it was then)."""

    __test__ = False

    question_id: str
    question: str
    kind: ExpectationKind
    outcome: Outcome
    excerpt: str
    cited_document_ids: tuple[str, ...]
    change: Change | None = None


class TestRun(msgspec.Struct, frozen=True, kw_only=True):
    """A run of the agent's test questions, stored whole when it ends."""

    __test__ = False

    id: str
    account_id: str
    agent_id: str
    trigger: RunTrigger
    started_at: datetime
    finished_at: datetime
    results: tuple[TestResult, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def newly_failing(self) -> list[TestResult]:
        return [r for r in self.results if r.change is Change.NEWLY_FAILING]


def check_test_question(
    question: str, kind: ExpectationKind, facts: Sequence[str], document_id: str | None
) -> tuple[str, tuple[str, ...], str | None]:
    """The question, facts and document id as stored, or :class:`InvalidInput`: the question is
    1–4,000 characters (trimmed); ``mentions`` needs 1–20 facts of 1–200 characters (trimmed,
    duplicates dropped ignoring case) and no document; ``cites`` a document id and no facts;
    ``falls_back`` neither."""
    text = question.strip()
    if not text or len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput("The question is 1 to 4,000 characters.", code="invalid_test_question", field="question")
    kept: list[str] = []
    for fact in facts:
        clean = fact.strip()
        if not clean or len(clean) > MAX_FACT_CHARS:
            raise InvalidInput("Each fact is 1 to 200 characters.", code="invalid_test_expectation", field="facts")
        if clean.casefold() not in {k.casefold() for k in kept}:
            kept.append(clean)
    if kind is ExpectationKind.MENTIONS:
        if not kept or len(kept) > MAX_FACTS or document_id is not None:
            raise InvalidInput(
                "A 'mentions' expectation has 1 to 20 facts and no document.",
                code="invalid_test_expectation",
                field="facts",
            )
    elif kind is ExpectationKind.CITES:
        if not document_id or kept:
            raise InvalidInput(
                "A 'cites' expectation names one document and no facts.",
                code="invalid_test_expectation",
                field="document_id",
            )
    elif kept or document_id is not None:
        raise InvalidInput(
            "A 'falls_back' expectation has no facts and no document.", code="invalid_test_expectation", field="kind"
        )
    return text, tuple(kept), document_id


def evaluate(question: TestQuestion, answer: TestAnswer, *, facts_apply: bool) -> Outcome:
    """Whether ``answer`` meets the question's expectation. ``facts_apply``: a chat model (not
    the offline extractive responder) wrote the answer; without one, ``mentions`` is
    ``not_applicable``. A fallback answer never mentions facts nor cites a document."""
    if question.kind is ExpectationKind.FALLS_BACK:
        ok = answer.fell_back
    elif question.kind is ExpectationKind.CITES:
        ok = not answer.fell_back and question.document_id in answer.cited_document_ids
    else:
        if not facts_apply:
            return Outcome.NOT_APPLICABLE
        said = answer.text.casefold()
        ok = not answer.fell_back and all(f.casefold() in said for f in question.facts)
    return Outcome.PASSED if ok else Outcome.FAILED


def compare_runs(previous: Mapping[str, Outcome], results: Sequence[TestResult]) -> tuple[TestResult, ...]:
    """``results`` with their change since the previous run (``previous``: outcome by question
    id): passed then failed now is newly failing, failed then passed now newly passing; a
    question new to this run, or not applicable on either side, has no change."""
    marked: list[TestResult] = []
    for r in results:
        before = previous.get(r.question_id)
        change = None
        if before is Outcome.PASSED and r.outcome is Outcome.FAILED:
            change = Change.NEWLY_FAILING
        elif before is Outcome.FAILED and r.outcome is Outcome.PASSED:
            change = Change.NEWLY_PASSING
        marked.append(msgspec.structs.replace(r, change=change))
    return tuple(marked)


def excerpt(text: str) -> str:
    """The start of an answer as a run keeps it (at most 300 characters)."""
    clean = " ".join(text.split())
    return clean if len(clean) <= EXCERPT_CHARS else clean[: EXCERPT_CHARS - 1] + "…"
