"""The owner's view of visitors' votes on an agent's answers (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.pagination import MAX_PAGE_SIZE
from aioomi.domain.usecases.feedback.list_answer_feedback import ListAnswerFeedback
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.date_range import From, To, parse_range
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_feedback import RatedAnswerList, RatedAnswerOut
from aioomi.entrypoints.http.widget_controller import remember

RatingFilter = Annotated[
    str | None, QueryParameter(required=False, max_length=10, description="Only `up` or only `down` votes")
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="At most this many (1 to 100)")]


class FeedbackController(Controller):
    path = "/api/v1"
    tags = ["conversations"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/agents/{agent_id:str}/feedback",
        summary="Visitors' votes on the agent's answers, newest first",
        responses=problems(401, 403, 404),
    )
    async def list_feedback(
        self,
        list_answer_feedback: NamedDependency[ListAnswerFeedback],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        rating: RatingFilter = None,
        date_from: From = None,
        date_to: To = None,
        limit: Limit = MAX_PAGE_SIZE,
    ) -> RatedAnswerList:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        since, until = parse_range(date_from, date_to)
        found = await list_answer_feedback(principal, agent_id, rating=rating, since=since, until=until, limit=limit)
        return RatedAnswerList(data=[RatedAnswerOut.of(e) for e in found])
