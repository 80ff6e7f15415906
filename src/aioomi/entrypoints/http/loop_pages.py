"""The dashboard's improvement-loop pages: an agent's questions to fix (unanswered and disliked
questions, grouped by meaning), each with "Write the answer" and "Dismiss", and "Refresh now";
and the agent's test questions (add, edit, delete, "Run tests", each question's last result and
what changed, the run history). The forms call the JSON API (``/api/v1/question-groups/…``,
``/api/v1/agents/{id}/test-questions…``) through the dashboard's script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from aioomi.domain.model.pagination import MAX_PAGE_SIZE
from aioomi.domain.model.test_questions import ExpectationKind, TestQuestion, TestResult, TestRun
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.documents.list_documents import ListDocuments
from aioomi.domain.usecases.question_groups.list_question_groups import ListQuestionGroups
from aioomi.domain.usecases.test_questions.list_test_questions import ListTestQuestions
from aioomi.domain.usecases.test_questions.list_test_runs import ListTestRuns
from aioomi.entrypoints.http.pages import NO_STORE, PAGE_ERRORS, Owner, _page, provide_owner
from aioomi.entrypoints.http.privacy_pages import load_policy
from aioomi.entrypoints.http.schemas_agents import AgentOut
from aioomi.entrypoints.http.schemas_question_groups import QuestionGroupOut
from aioomi.entrypoints.http.schemas_test_questions import TestRunOut

STATUSES = ("open", "answered", "dismissed", "all")
Status = Annotated[str, QueryParameter(name="status", max_length=10)]


class QuestionPages(Controller):
    path = "/dashboard/agents/{agent_id:str}/questions"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"owner": Provide(provide_owner)}
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def questions(
        self,
        get_agent: NamedDependency[GetAgent],
        list_question_groups: NamedDependency[ListQuestionGroups],
        owner: NamedDependency[Owner],
        agent_id: FromPath[str],
        status: Status = "open",
    ) -> Template:
        """The agent's question groups of one status (open by default), most asked first."""
        agent = AgentOut.of(await get_agent(owner.principal, agent_id))
        groups = await list_question_groups(owner.principal, agent_id, status=status, limit=MAX_PAGE_SIZE)
        return _page(
            "questions.html",
            owner,
            agent=agent,
            groups=[QuestionGroupOut.of(g) for g in groups],
            status=status,
            statuses=STATUSES,
            title=f"{agent.name}: questions to fix",
            nav="agents",
            tab="questions",
        )


RUNS_SHOWN = 20


@dataclass(frozen=True)
class TestQuestionRow:
    """A test question as its page shows it: the question, its expectation in words, and its
    result in the latest run that had it (``None``: not run yet)."""

    __test__ = False

    question: TestQuestion
    expectation: str
    result: TestResult | None
    run: TestRun | None


def _expectation(q: TestQuestion, titles: dict[str, str]) -> str:
    if q.kind is ExpectationKind.MENTIONS:
        return "Mentions " + ", ".join(f"“{f}”" for f in q.facts)
    if q.kind is ExpectationKind.CITES:
        title = titles.get(q.document_id or "")
        return f"Cites “{title}”" if title else f"Cites a document no longer in the knowledge base ({q.document_id})"
    return "Falls back (the knowledge has no answer)"


def test_question_rows(
    questions: Sequence[TestQuestion], runs: Sequence[TestRun], titles: dict[str, str]
) -> list[TestQuestionRow]:
    """Each question with its result in the latest of ``runs`` (latest first) that had it."""
    rows = []
    for q in questions:
        found = next(((r, run) for run in runs for r in run.results if r.question_id == q.id), None)
        rows.append(
            TestQuestionRow(
                question=q,
                expectation=_expectation(q, titles),
                result=found[0] if found else None,
                run=found[1] if found else None,
            )
        )
    return rows


class TestQuestionPages(Controller):
    __test__ = False

    path = "/dashboard/agents/{agent_id:str}/tests"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"owner": Provide(provide_owner)}
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def tests(
        self,
        get_agent: NamedDependency[GetAgent],
        list_test_questions: NamedDependency[ListTestQuestions],
        list_test_runs: NamedDependency[ListTestRuns],
        list_documents: NamedDependency[ListDocuments],
        owner: NamedDependency[Owner],
        agent_id: FromPath[str],
    ) -> Template:
        """The agent's test questions with their last result, the forms, and the latest runs."""
        agent = AgentOut.of(await get_agent(owner.principal, agent_id))
        questions = await list_test_questions(owner.principal, agent_id)
        runs = await list_test_runs(owner.principal, agent_id, limit=RUNS_SHOWN)
        # The newest 100 documents to choose from (a question citing another keeps its own).
        documents = (await list_documents(owner.principal, agent_id, limit=MAX_PAGE_SIZE)).items
        titles = {d.id: d.title for d in documents}
        return _page(
            "tests.html",
            owner,
            agent=agent,
            rows=test_question_rows(questions, runs, titles),
            runs=[TestRunOut.of(r, with_results=True) for r in runs],
            documents=sorted(documents, key=lambda d: (d.title.casefold(), d.id)),
            document_titles=titles,
            title=f"{agent.name}: test questions",
            nav="agents",
            tab="tests",
        )
