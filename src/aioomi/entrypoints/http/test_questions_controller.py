"""Test questions and their runs over HTTP (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.pagination import MAX_PAGE_SIZE
from aioomi.domain.usecases.test_questions.create_test_question import CreateTestQuestion
from aioomi.domain.usecases.test_questions.delete_test_question import DeleteTestQuestion
from aioomi.domain.usecases.test_questions.get_test_run import GetTestRun
from aioomi.domain.usecases.test_questions.list_test_questions import ListTestQuestions
from aioomi.domain.usecases.test_questions.list_test_runs import ListTestRuns
from aioomi.domain.usecases.test_questions.request_test_run import RequestTestRun
from aioomi.domain.usecases.test_questions.update_test_question import UpdateTestQuestion
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_test_questions import (
    TestQuestionIn,
    TestQuestionList,
    TestQuestionOut,
    TestRunList,
    TestRunOut,
    TestRunQueued,
)
from aioomi.entrypoints.http.widget_controller import remember

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="At most this many (1 to 100)")]


class TestQuestionController(Controller):
    __test__ = False

    path = "/api/v1/agents/{agent_id:str}"
    tags = ["knowledge"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/test-questions", summary="The agent's test questions", responses=problems(401, 403, 404))
    async def list_questions(
        self,
        list_test_questions: NamedDependency[ListTestQuestions],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> TestQuestionList:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        return TestQuestionList(data=[TestQuestionOut.of(q) for q in await list_test_questions(principal, agent_id)])

    @post(
        "/test-questions",
        status_code=201,
        summary="Add a test question with its expectation",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def create_question(
        self,
        create_test_question: NamedDependency[CreateTestQuestion],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[TestQuestionIn],
    ) -> Response[TestQuestionOut]:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        q = await create_test_question(
            principal, agent_id, question=data.question, kind=data.kind, facts=data.facts, document_id=data.document_id
        )
        return Response(
            TestQuestionOut.of(q),
            status_code=201,
            headers={"Location": f"/api/v1/agents/{q.agent_id}/test-questions/{q.id}"},
        )

    @put(
        "/test-questions/{question_id:str}",
        summary="Replace a test question",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def update_question(
        self,
        update_test_question: NamedDependency[UpdateTestQuestion],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        question_id: FromPath[str],
        data: JSONBody[TestQuestionIn],
    ) -> TestQuestionOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        q = await update_test_question(
            principal,
            agent_id,
            question_id,
            question=data.question,
            kind=data.kind,
            facts=data.facts,
            document_id=data.document_id,
        )
        return TestQuestionOut.of(q)

    @delete("/test-questions/{question_id:str}", summary="Delete a test question", responses=problems(401, 403, 404))
    async def delete_question(
        self,
        delete_test_question: NamedDependency[DeleteTestQuestion],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        question_id: FromPath[str],
    ) -> None:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        await delete_test_question(principal, agent_id, question_id)

    @post(
        "/test-questions/run",
        status_code=202,
        summary="Run the agent's test questions now (in the worker)",
        responses=problems(401, 403, 404),
    )
    async def run(
        self,
        request_test_run: NamedDependency[RequestTestRun],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> TestRunQueued:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        await request_test_run(principal, agent_id)
        return TestRunQueued()

    @get("/test-runs", summary="The agent's test runs, latest first", responses=problems(401, 403, 404))
    async def list_runs(
        self,
        list_test_runs: NamedDependency[ListTestRuns],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        limit: Limit = MAX_PAGE_SIZE,
    ) -> TestRunList:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        runs = await list_test_runs(principal, agent_id, limit=limit)
        return TestRunList(data=[TestRunOut.of(r, with_results=False) for r in runs])

    @get("/test-runs/{run_id:str}", summary="A test run with its results", responses=problems(401, 403, 404))
    async def get_run(
        self,
        get_test_run: NamedDependency[GetTestRun],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        run_id: FromPath[str],
    ) -> TestRunOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        return TestRunOut.of(await get_test_run(principal, agent_id, run_id), with_results=True)
