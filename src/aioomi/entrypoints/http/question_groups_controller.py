"""Unanswered and disliked questions, grouped, over HTTP (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.pagination import MAX_PAGE_SIZE
from aioomi.domain.usecases.question_groups.answer_question_group import AnswerQuestionGroup
from aioomi.domain.usecases.question_groups.dismiss_question_group import DismissQuestionGroup
from aioomi.domain.usecases.question_groups.list_question_groups import ListQuestionGroups
from aioomi.domain.usecases.question_groups.request_question_groups_refresh import RequestQuestionGroupsRefresh
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_qa import QaPairOut
from aioomi.entrypoints.http.schemas_question_groups import (
    GroupAnswer,
    QuestionGroupList,
    QuestionGroupOut,
    RefreshQueued,
)
from aioomi.entrypoints.http.widget_controller import remember

Status = Annotated[str, QueryParameter(max_length=10, description="`open` (default), `dismissed`, `answered`, `all`")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="At most this many (1 to 100)")]


class QuestionGroupController(Controller):
    path = "/api/v1"
    tags = ["conversations"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/agents/{agent_id:str}/question-groups",
        summary="Unanswered and disliked questions, grouped by meaning",
        responses=problems(401, 403, 404),
    )
    async def list_groups(
        self,
        list_question_groups: NamedDependency[ListQuestionGroups],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        status: Status = "open",
        limit: Limit = MAX_PAGE_SIZE,
    ) -> QuestionGroupList:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        groups = await list_question_groups(principal, agent_id, status=status, limit=limit)
        return QuestionGroupList(data=[QuestionGroupOut.of(g) for g in groups])

    @post(
        "/agents/{agent_id:str}/question-groups/refresh",
        status_code=202,
        summary="Regroup the agent's questions now (in the worker)",
        responses=problems(401, 403, 404),
    )
    async def refresh(
        self,
        request_question_groups_refresh: NamedDependency[RequestQuestionGroupsRefresh],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> RefreshQueued:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        await request_question_groups_refresh(principal, agent_id)
        return RefreshQueued()

    @post(
        "/question-groups/{group_id:str}/dismiss",
        status_code=200,
        summary="Dismiss a question group",
        responses=problems(401, 403, 404, 409),
    )
    async def dismiss(
        self,
        dismiss_question_group: NamedDependency[DismissQuestionGroup],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        group_id: FromPath[str],
    ) -> QuestionGroupOut:
        remember(request, log_account_id=principal.workspace_id)
        return QuestionGroupOut.of(await dismiss_question_group(principal, group_id))

    @post(
        "/question-groups/{group_id:str}/answer",
        status_code=201,
        summary="Write the answer: a Q&A pair with the group's phrasings",
        responses=problems(400, 401, 403, 404, 409, 413, 422),
    )
    async def answer(
        self,
        answer_question_group: NamedDependency[AnswerQuestionGroup],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        group_id: FromPath[str],
        data: JSONBody[GroupAnswer],
    ) -> Response[QaPairOut]:
        remember(request, log_account_id=principal.workspace_id)
        pair = await answer_question_group(principal, group_id, data.answer)
        return Response(
            QaPairOut.of(pair),
            status_code=201,
            headers={"Location": f"/api/v1/agents/{pair.agent_id}/qa-pairs/{pair.id}"},
        )
