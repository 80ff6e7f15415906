"""The owner's conversations (``/api/v1``) and the OpenAI-compatible API (``/v1``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentNotFound
from aioomi.domain.model.chat import Channel, PromptMessage, Role, TurnDelta, TurnDone, TurnFailed
from aioomi.domain.model.errors import AioomiError, InvalidInput
from aioomi.domain.model.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE, Page
from aioomi.domain.usecases.agents import find_own_agent
from aioomi.domain.usecases.answer_chat import ChatCaller
from aioomi.entrypoints.http.auth import client_info, provide_principal
from aioomi.entrypoints.http.problems import problems, status_for
from aioomi.entrypoints.http.schemas_chat import (
    MessageOut,
    OwnerSessionDetail,
    OwnerSessionList,
    OwnerSessionOut,
    SessionExport,
)
from aioomi.entrypoints.http.widget_controller import remember

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Sessions per page (1 to 100)")]
Cursor = Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH, description="The `next_cursor` of the previous page")]
Since = Annotated[datetime | None, QueryParameter(name="from", description="Sessions created at or after (RFC 3339)")]
Until = Annotated[datetime | None, QueryParameter(name="to", description="Sessions created before (RFC 3339)")]


class ConversationController(Controller):
    path = "/api/v1"
    tags = ["conversations"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/agents/{agent_id:str}/sessions", summary="An agent's chat sessions, newest first, a page at a time",
         responses=problems(401, 403, 404))
    async def list_sessions(self, request: Request[Any, Any, Any], state: State, principal: NamedDependency[Principal],
                            agent_id: FromPath[str], limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None,
                            since: Since = None, until: Until = None) -> OwnerSessionList:
        remember(request, log_account_id=principal.account_id, log_agent_id=agent_id)
        page: Page = await state.container.list_agent_sessions()(principal, agent_id, limit=limit, cursor=cursor,
                                                                since=since, until=until)
        return OwnerSessionList(data=[OwnerSessionOut.of(s) for s in page.items], next_cursor=page.next_cursor)

    @get("/agents/{agent_id:str}/sessions/export", summary="Export an agent's sessions with their messages as JSON",
         responses=problems(401, 403, 404))
    async def export_sessions(self, request: Request[Any, Any, Any], state: State,
                              principal: NamedDependency[Principal], agent_id: FromPath[str], since: Since = None,
                              until: Until = None) -> Response[SessionExport]:
        remember(request, log_account_id=principal.account_id, log_agent_id=agent_id)
        found = await state.container.export_agent_sessions()(principal, agent_id, since=since, until=until)
        body = SessionExport(exported_at=datetime.now(UTC), sessions=[
            OwnerSessionDetail(session=OwnerSessionOut.of(s), messages=[MessageOut.of(m) for m in messages])
            for s, messages in found
        ])
        return Response(body, headers={"Content-Disposition": f'attachment; filename="{agent_id}-sessions.json"'})

    @get("/chat-sessions/{session_id:str}", summary="A chat session with its messages and citations",
         responses=problems(401, 403, 404))
    async def read_session(self, request: Request[Any, Any, Any], state: State, principal: NamedDependency[Principal],
                           session_id: FromPath[str]) -> OwnerSessionDetail:
        remember(request, log_account_id=principal.account_id)
        session, messages = await state.container.get_chat_session()(principal, session_id)
        return OwnerSessionDetail(session=OwnerSessionOut.of(session), messages=[MessageOut.of(m) for m in messages])

    @delete("/chat-sessions/{session_id:str}", status_code=204, summary="Delete a chat session and its messages for good",
            responses=problems(401, 403, 404))
    async def delete_session(self, request: Request[Any, Any, Any], state: State,
                             principal: NamedDependency[Principal], session_id: FromPath[str]) -> None:
        remember(request, log_account_id=principal.account_id)
        await state.container.delete_chat_session()(principal, session_id)


# --- OpenAI-compatible API --------------------------------------------------------------------


class OpenAIErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(msgspec.Struct, frozen=True, kw_only=True):
    error: OpenAIErrorDetail


_ERROR_TYPE = {400: "invalid_request_error", 401: "authentication_error", 402: "insufficient_quota",
               403: "permission_error", 404: "invalid_request_error", 409: "invalid_request_error",
               422: "invalid_request_error", 429: "rate_limit_error", 500: "server_error", 503: "server_error"}


def openai_error(status: int, message: str, code: str | None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> Response[OpenAIError]:
    return Response(OpenAIError(error=OpenAIErrorDetail(message=message, type=_ERROR_TYPE.get(status, "server_error"),
                                                        param=param, code=code)),
                    status_code=status, headers=headers)


def _domain_error(request: Request[Any, Any, Any], error: AioomiError) -> Response[OpenAIError]:
    status = status_for(error)
    headers = {"Retry-After": str(error.retry_after_s)} if hasattr(error, "retry_after_s") else None
    return openai_error(status, error.detail, error.code, getattr(error, "field", None), headers)


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[OpenAIError]:
    status = error.status_code if error.status_code != 400 or not error.extra else 400
    if status == 422 or (status == 400 and error.extra):
        status = 400
    return openai_error(status, str(error.detail), "invalid_request")


def _bad_encoding(request: Request[Any, Any, Any], error: UnicodeDecodeError) -> Response[OpenAIError]:
    return openai_error(400, "The body is not valid UTF-8.", "invalid_encoding")


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[OpenAIError]:
    return openai_error(500, "The server could not complete the request.", "internal_error")


def _openai_spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=OpenAIError, description=description, generate_examples=False)


OPENAI_ERRORS = {
    400: _openai_spec("Invalid request (OpenAI error shape)."),
    401: _openai_spec("Missing or invalid API key."),
    402: _openai_spec("The plan's allowance is used up (`quota_exceeded`)."),
    403: _openai_spec("The agent is paused or its owner restricted processing."),
    404: _openai_spec("No agent with this id (`model_not_found`)."),
    409: _openai_spec("Conflict."),
    422: _openai_spec("Invalid request."),
    429: _openai_spec("Too many requests."),
    500: _openai_spec("Server error."),
    503: _openai_spec("The model or a dependency is unavailable."),
}


class ContentPart(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    text: str | None = None


class CompletionMessage(msgspec.Struct, frozen=True, kw_only=True):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(msgspec.Struct, frozen=True, kw_only=True):
    include_usage: bool = False


class CompletionCreate(msgspec.Struct, frozen=True, kw_only=True):
    """OpenAI's request; ``model`` is the agent id. The agent's own settings (system prompt,
    model, temperature, max tokens) apply; sampling fields sent here are accepted and ignored."""

    model: str
    messages: Annotated[list[CompletionMessage], msgspec.Meta(min_length=1, max_length=200)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    user: str | None = None


class ModelOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    object: str = "model"
    created: int
    owned_by: str


class ModelList(msgspec.Struct, frozen=True, kw_only=True):
    object: str = "list"
    data: list[ModelOut]


def _split(messages: list[CompletionMessage]) -> tuple[list[PromptMessage], str]:
    """The history (user and assistant turns) and the question (the last user message).
    System and developer messages are not passed on: the agent's own system prompt governs."""
    if messages[-1].role != "user" or not messages[-1].text().strip():
        raise InvalidInput("The last message must be a non-empty user message.", code="invalid_messages",
                           field="messages")
    history = [PromptMessage(role=Role(m.role), content=m.text()) for m in messages[:-1]
               if m.role in ("user", "assistant") and m.text()]
    return history, messages[-1].text()


class OpenAICompatibleController(Controller):
    path = "/v1"
    tags = ["openai-compatible"]
    dependencies = {"principal": Provide(provide_principal)}
    exception_handlers = {AioomiError: _domain_error, HTTPException: _http_error, UnicodeDecodeError: _bad_encoding,
                          Exception: _unexpected}

    @get("/models", summary="The account's agents, as OpenAI models", responses=OPENAI_ERRORS)
    async def models(self, request: Request[Any, Any, Any], state: State,
                     principal: NamedDependency[Principal]) -> ModelList:
        remember(request, log_account_id=principal.account_id)
        models: list[ModelOut] = []
        cursor = None
        while True:
            page = await state.container.list_agents()(principal, limit=MAX_PAGE_SIZE, cursor=cursor)
            models += [ModelOut(id=a.id, created=int(a.created_at.timestamp()), owned_by=principal.account_id)
                       for a in page.items]
            if page.next_cursor is None:
                return ModelList(data=models)
            cursor = page.next_cursor

    @post("/chat/completions", status_code=200, opt={"skip_compression": True},
          summary="Chat completions (OpenAI's API); `model` is an agent id",
          responses={**OPENAI_ERRORS, 200: ResponseSpec(data_container=dict[str, Any],
                                                        description="A chat.completion, or chat.completion.chunk "
                                                                    "events when `stream` is true")})
    async def completions(self, request: Request[Any, Any, Any], state: State, principal: NamedDependency[Principal],
                          data: JSONBody[CompletionCreate]) -> Response[Any]:
        remember(request, log_account_id=principal.account_id, log_agent_id=data.model)
        container = state.container
        async with container.uow()(account_id=principal.account_id) as uow:
            try:
                agent = await find_own_agent(uow.agents, principal, data.model)
            except AgentNotFound:
                raise AgentNotFound(f"The model `{data.model}` does not exist; use an agent id.",
                                    code="model_not_found") from None
        history, question = _split(data.messages)
        visitor = principal.api_key_id or principal.session_id or principal.account_id
        client = client_info(request)
        answer = await container.answer_chat().start(
            agent, ChatCaller(visitor_id=visitor, channel=Channel.API, ip=client.ip, user_agent=client.user_agent),
            question, history=history,
        )
        ident, created = f"chatcmpl-{answer.message_id}", int(time.time())
        if data.stream:
            include_usage = bool(data.stream_options and data.stream_options.include_usage)
            return Stream(_chunks(answer, ident, created, agent.id, include_usage), media_type="text/event-stream",
                          headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no",
                                   "Content-Encoding": "identity"})
        text, final, citations = await answer.collect()
        if isinstance(final, TurnFailed):
            return openai_error(503, final.detail, final.code)
        usage = final.usage
        return Response({
            "id": ident, "object": "chat.completion", "created": created, "model": agent.id,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                      "total_tokens": usage.total_tokens},
            "citations": [msgspec.to_builtins(c) for c in citations],
            "session_id": answer.session_id,
        })


async def _chunks(answer: Any, ident: str, created: int, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        return b"data: " + msgspec.json.encode(body) + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    async for event in answer.events():
        if isinstance(event, TurnDelta):
            yield chunk({"content": event.text})
        elif isinstance(event, TurnFailed):
            error = {"error": {"message": event.detail, "type": "server_error", "param": None, "code": event.code}}
            yield b"data: " + msgspec.json.encode(error) + b"\n\n"
            return
        elif isinstance(event, TurnDone):
            yield chunk({}, "stop")
            if include_usage:
                usage = event.usage
                body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                        "choices": [], "usage": {"prompt_tokens": usage.prompt_tokens,
                                                 "completion_tokens": usage.completion_tokens,
                                                 "total_tokens": usage.total_tokens}}
                yield b"data: " + msgspec.json.encode(body) + b"\n\n"
    yield b"data: [DONE]\n\n"
