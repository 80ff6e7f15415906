"""The dashboard's improvement-loop page: an agent's questions to fix (unanswered and disliked
questions, grouped by meaning), each with "Write the answer" and "Dismiss", and "Refresh now".
The forms call the JSON API (``/api/v1/question-groups/…``) through the dashboard's script."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from aioomi.domain.model.pagination import MAX_PAGE_SIZE
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.question_groups.list_question_groups import ListQuestionGroups
from aioomi.entrypoints.http.pages import NO_STORE, PAGE_ERRORS, Owner, _page, provide_owner
from aioomi.entrypoints.http.privacy_pages import load_policy
from aioomi.entrypoints.http.schemas_agents import AgentOut
from aioomi.entrypoints.http.schemas_question_groups import QuestionGroupOut

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
