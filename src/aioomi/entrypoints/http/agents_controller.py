"""The owner's agents: create, list, read, change, delete, and rotate the widget key."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody, Parameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentChanges, AgentSettings
from aioomi.domain.model.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE
from aioomi.domain.usecases.agents.create_agent import CreateAgent
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.agents.list_agents import ListAgents
from aioomi.domain.usecases.agents.rotate_agent_key import RotateAgentKey
from aioomi.domain.usecases.agents.update_agent import UpdateAgent
from aioomi.domain.usecases.delete_agent import DeleteAgent
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_agents import AgentCreate, AgentList, AgentOut, AgentPatch, field_errors


def every_bad_field(body_type: type[msgspec.Struct]) -> Provide:
    """A dependency that checks the JSON body field by field, so one 422 names every bad field
    (msgspec, which decodes the ``data`` parameter afterwards, stops at the first). It runs after
    ``principal``: who is calling is settled before what they sent."""

    async def check(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> None:
        if not await request.body():
            return  # no body: the decoding of ``data`` reports it
        errors = field_errors(await request.json(), body_type)
        if errors:
            raise ValidationException(
                detail="Validation failed",
                extra=[{"key": field, "message": message, "source": "body"} for field, message in errors],
            )

    return Provide(check)


def every_bad_field_public(body_type: type[msgspec.Struct]) -> Provide:
    """:func:`every_bad_field` for a route anyone may call (sign-up): no caller to settle first."""

    async def check(request: Request[Any, Any, Any]) -> None:
        if not await request.body():
            return
        try:
            raw = await request.json()
        except Exception:  # noqa: BLE001 - an unreadable body: the decoding of ``data`` reports it
            return
        errors = field_errors(raw, body_type)
        if errors:
            raise ValidationException(
                detail="Validation failed",
                extra=[{"key": field, "message": message, "source": "body"} for field, message in errors],
            )

    return Provide(check)


Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description="Agents per page (1 to 100)")]
Cursor = Annotated[
    str | None, Parameter(max_length=MAX_CURSOR_LENGTH, description="The `next_cursor` of the previous page")
]


class AgentController(Controller):
    path = "/api/v1/agents"
    tags = ["agents"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The account's agents, newest first, a page at a time", responses=problems(401, 403))
    async def list_agents(
        self,
        list_agents: NamedDependency[ListAgents],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> AgentList:
        page = await list_agents(principal, limit=limit, cursor=cursor)
        return AgentList(data=[AgentOut.of(a) for a in page.items], next_cursor=page.next_cursor)

    @post(
        "/",
        status_code=201,
        summary="Create an agent",
        responses=problems(401, 402, 403),
        dependencies={"checked": every_bad_field(AgentCreate)},
    )
    async def create_agent(
        self,
        create_agent: NamedDependency[CreateAgent],
        principal: NamedDependency[Principal],
        checked: NamedDependency[None],
        data: JSONBody[AgentCreate],
    ) -> Response[AgentOut]:
        settings = msgspec.convert(msgspec.to_builtins(data), AgentSettings)
        agent = await create_agent(principal, settings)
        return Response(AgentOut.of(agent), status_code=201, headers={"Location": f"{self.path}/{agent.id}"})

    @get("/{agent_id:str}", summary="One agent", responses=problems(401, 403, 404))
    async def get_agent(
        self, get_agent: NamedDependency[GetAgent], principal: NamedDependency[Principal], agent_id: FromPath[str]
    ) -> AgentOut:
        return AgentOut.of(await get_agent(principal, agent_id))

    @patch(
        "/{agent_id:str}",
        summary="Change some settings; fields not sent stay as they are",
        responses=problems(401, 403, 404),
        dependencies={"checked": every_bad_field(AgentPatch)},
    )
    async def update_agent(
        self,
        update_agent: NamedDependency[UpdateAgent],
        principal: NamedDependency[Principal],
        checked: NamedDependency[None],
        agent_id: FromPath[str],
        data: JSONBody[AgentPatch],
    ) -> AgentOut:
        changes = msgspec.convert(msgspec.to_builtins(data), AgentChanges)
        return AgentOut.of(await update_agent(principal, agent_id, changes))

    @delete(
        "/{agent_id:str}",
        status_code=204,
        summary="Delete an agent and its knowledge base",
        responses=problems(401, 403, 404),
    )
    async def delete_agent(
        self, delete_agent: NamedDependency[DeleteAgent], principal: NamedDependency[Principal], agent_id: FromPath[str]
    ) -> None:
        await delete_agent(principal, agent_id)

    @post(
        "/{agent_id:str}/rotate-key",
        status_code=200,
        summary="Give the agent a new public widget key; the old one stops working",
        responses=problems(401, 403, 404),
    )
    async def rotate_key(
        self,
        rotate_agent_key: NamedDependency[RotateAgentKey],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> AgentOut:
        return AgentOut.of(await rotate_agent_key(principal, agent_id))
