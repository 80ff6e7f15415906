"""The owner's conversations (``/api/v1``) and the OpenAI-compatible API (``/v1``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent, AgentNotFound
from aioomi.domain.model.chat import Channel, Citation, TurnDelta, TurnDone, TurnFailed, TurnSources
from aioomi.domain.model.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE, Page
from aioomi.domain.usecases.agents.get_agent import GetAgent
from aioomi.domain.usecases.agents.list_agents import ListAgents
from aioomi.domain.usecases.answer_chat import AnswerChat, ChatCaller
from aioomi.domain.usecases.chat.delete_chat_session import DeleteChatSession
from aioomi.domain.usecases.chat.export_agent_sessions import ExportAgentSessions
from aioomi.domain.usecases.chat.get_chat_session import GetChatSession
from aioomi.domain.usecases.chat.list_agent_sessions import ListAgentSessions
from aioomi.entrypoints.http.auth import client_info, provide_principal
from aioomi.entrypoints.http.date_range import From, To, parse_range
from aioomi.entrypoints.http.openai_errors import OPENAI_ERRORS, openai_error
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_chat import (
    SESSION_HEADER,
    CompletionCreate,
    MessageOut,
    ModelList,
    ModelOut,
    OwnerSessionDetail,
    OwnerSessionList,
    OwnerSessionOut,
    SessionExport,
    check_supported,
    split_messages,
)
from aioomi.entrypoints.http.widget_controller import remember

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Sessions per page (1 to 100)")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH, description="The `next_cursor` of the previous page")
]
ContinueSession = Annotated[
    str | None,
    HeaderParameter(
        name=SESSION_HEADER,
        required=False,
        max_length=64,
        description="Continue this stored conversation (the `session_id` of an earlier answer, same API key)",
    ),
]


class ConversationController(Controller):
    path = "/api/v1"
    tags = ["conversations"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/agents/{agent_id:str}/sessions",
        summary="An agent's chat sessions, newest first, a page at a time",
        responses=problems(401, 403, 404),
    )
    async def list_sessions(
        self,
        list_agent_sessions: NamedDependency[ListAgentSessions],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
        date_from: From = None,
        date_to: To = None,
    ) -> OwnerSessionList:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        since, until = parse_range(date_from, date_to)
        page: Page = await list_agent_sessions(
            principal, agent_id, limit=limit, cursor=cursor, since=since, until=until
        )
        return OwnerSessionList(
            data=[OwnerSessionOut.of(i.session, i.summary) for i in page.items], next_cursor=page.next_cursor
        )

    @get(
        "/agents/{agent_id:str}/sessions/export",
        summary="Export an agent's sessions with their messages as JSON",
        responses=problems(401, 403, 404),
    )
    async def export_sessions(
        self,
        export_agent_sessions: NamedDependency[ExportAgentSessions],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        date_from: From = None,
        date_to: To = None,
    ) -> Response[SessionExport]:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        since, until = parse_range(date_from, date_to)
        found = await export_agent_sessions(principal, agent_id, since=since, until=until)
        body = SessionExport(
            exported_at=datetime.now(UTC),
            sessions=[
                OwnerSessionDetail(session=OwnerSessionOut.of(s), messages=[MessageOut.of(m) for m in messages])
                for s, messages in found
            ],
        )
        return Response(body, headers={"Content-Disposition": f'attachment; filename="{agent_id}-sessions.json"'})

    @get(
        "/chat-sessions/{session_id:str}",
        summary="A chat session with its messages and citations",
        responses=problems(401, 403, 404),
    )
    async def read_session(
        self,
        get_chat_session: NamedDependency[GetChatSession],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: FromPath[str],
    ) -> OwnerSessionDetail:
        remember(request, log_account_id=principal.workspace_id)
        session, messages = await get_chat_session(principal, session_id)
        return OwnerSessionDetail(session=OwnerSessionOut.of(session), messages=[MessageOut.of(m) for m in messages])

    @delete(
        "/chat-sessions/{session_id:str}",
        status_code=204,
        summary="Delete a chat session and its messages for good",
        responses=problems(401, 403, 404),
    )
    async def delete_session(
        self,
        delete_chat_session: NamedDependency[DeleteChatSession],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: FromPath[str],
    ) -> None:
        remember(request, log_account_id=principal.workspace_id)
        await delete_chat_session(principal, session_id)


# --- OpenAI-compatible API --------------------------------------------------------------------


async def _own_model(get_agent: GetAgent, principal: Principal, model: str) -> Agent:
    """The caller's agent named as an OpenAI model: a miss says so in OpenAI's words."""
    try:
        return await get_agent(principal, model)
    except AgentNotFound:
        raise AgentNotFound(
            f"The model `{model[:100]}` does not exist; use an agent id (see GET /v1/models).", code="model_not_found"
        ) from None


class OpenAICompatibleController(Controller):
    """Errors leave in OpenAI's shape through the app's handlers (:mod:`.openai_errors`)."""

    path = "/v1"
    tags = ["openai-compatible"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/models",
        summary="The account's agents, as OpenAI models (`name` is the agent's name)",
        responses=OPENAI_ERRORS,
    )
    async def models(
        self,
        list_agents: NamedDependency[ListAgents],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
    ) -> ModelList:
        remember(request, log_account_id=principal.workspace_id)
        models: list[ModelOut] = []
        cursor = None
        while True:
            page = await list_agents(principal, limit=MAX_PAGE_SIZE, cursor=cursor)
            models += [ModelOut.of(a) for a in page.items]
            if page.next_cursor is None:
                return ModelList(data=models)
            cursor = page.next_cursor

    @get("/models/{model_id:str}", summary="One agent, as an OpenAI model", responses=OPENAI_ERRORS)
    async def model(
        self,
        get_agent: NamedDependency[GetAgent],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        model_id: FromPath[str],
    ) -> ModelOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=model_id)
        return ModelOut.of(await _own_model(get_agent, principal, model_id))

    @post(
        "/chat/completions",
        status_code=200,
        opt={"skip_compression": True},
        summary="Chat completions (OpenAI's API); `model` is an agent id",
        responses={
            **OPENAI_ERRORS,
            200: ResponseSpec(
                data_container=dict[str, Any],
                description="A chat.completion, or chat.completion.chunk events when `stream` is true",
            ),
        },
    )
    async def completions(
        self,
        get_agent: NamedDependency[GetAgent],
        answer_chat: NamedDependency[AnswerChat],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[CompletionCreate],
        session_id: ContinueSession = None,
    ) -> Response[Any]:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=data.model)
        check_supported(data)
        agent = await _own_model(get_agent, principal, data.model)
        history, question = split_messages(data.messages)
        visitor = principal.api_key_id or principal.session_id or principal.workspace_id
        client = client_info(request)
        # A new conversation stores the turns the client sent; a continued one (the session
        # header) adds the question to its stored turns, which are the history.
        answer = await answer_chat(
            agent,
            ChatCaller(visitor_id=visitor, channel=Channel.API, ip=client.ip, user_agent=client.user_agent),
            question,
            history=None if session_id else history,
            session_id=session_id,
        )
        continued = {SESSION_HEADER: answer.session_id}
        ident, created = f"chatcmpl-{answer.message_id}", int(time.time())
        if data.stream:
            include_usage = bool(data.stream_options and data.stream_options.include_usage)
            return Stream(
                _chunks(answer, ident, created, agent.id, include_usage),
                media_type="text/event-stream",
                headers={
                    "Cache-Control": "no-cache",
                    "X-Accel-Buffering": "no",
                    "Content-Encoding": "identity",
                    **continued,
                },
            )
        text, final, citations = await answer.collect()
        if isinstance(final, TurnFailed):
            return openai_error(503, final.detail, final.code, headers=continued)
        usage = final.usage
        return Response(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": agent.id,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "total_tokens": usage.total_tokens,
                },
                "citations": [msgspec.to_builtins(c) for c in citations],
                "session_id": answer.session_id,
            },
            headers=continued,
        )


async def _chunks(answer: Any, ident: str, created: int, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return b"data: " + msgspec.json.encode(body) + b"\n\n"

    citations: tuple[Citation, ...] = ()
    yield chunk({"role": "assistant", "content": ""})
    async for event in answer.events():
        if isinstance(event, TurnDelta):
            yield chunk({"content": event.text})
        elif isinstance(event, TurnSources):
            citations = event.citations
        elif isinstance(event, TurnFailed):
            error = {"error": {"message": event.detail, "type": "server_error", "param": None, "code": event.code}}
            yield b"data: " + msgspec.json.encode(error) + b"\n\n"
            return
        elif isinstance(event, TurnDone):
            # The finishing chunk carries what the non-streaming answer adds: the citations and
            # the session (extra fields, which OpenAI's SDKs keep on the chunk object).
            yield chunk({}, "stop", citations=[msgspec.to_builtins(c) for c in citations], session_id=answer.session_id)
            if include_usage:
                usage = event.usage
                body = {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": usage.prompt_tokens,
                        "completion_tokens": usage.completion_tokens,
                        "total_tokens": usage.total_tokens,
                    },
                }
                yield b"data: " + msgspec.json.encode(body) + b"\n\n"
    yield b"data: [DONE]\n\n"
