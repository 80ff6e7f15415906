"""The public widget API: no owner credentials, the agent's public key in the path, the
visitor id in ``X-Visitor-Id``, CORS answered per agent from its allowed origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter
from litestar.response import Stream

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import (
    MAX_IDEMPOTENCY_KEY,
    ChatModelUnavailable,
    OriginNotAllowed,
    TurnDelta,
    TurnDone,
    TurnFailed,
    TurnSources,
    TurnStarted,
)
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.usecases.answer_chat import ChatAnswer, ChatCaller
from aioomi.domain.usecases.chat.delete_visitor_session import DeleteVisitorSession
from aioomi.domain.usecases.chat.list_visitor_sessions import ListVisitorSessions
from aioomi.domain.usecases.chat.open_widget import OpenWidget
from aioomi.domain.usecases.chat.read_visitor_session import ReadVisitorSession
from aioomi.domain.usecases.chat.send_widget_message import SendWidgetMessage
from aioomi.domain.usecases.chat.start_widget_session import StartWidgetSession
from aioomi.domain.usecases.feedback.rate_answer import RateAnswer
from aioomi.entrypoints.http.auth import client_info
from aioomi.entrypoints.http.problems import problem_response, problems
from aioomi.entrypoints.http.schemas_chat import (
    ChatReply,
    CitationOut,
    MessageCreate,
    MessageOut,
    OwnerSessionDetail,
    OwnerSessionOut,
    SessionExport,
    UsageOut,
    VisitorSessionDetail,
    VisitorSessionList,
    VisitorSessionOut,
    WidgetConfig,
    sse,
)
from aioomi.entrypoints.http.schemas_feedback import FeedbackCreate, FeedbackOut

VISITOR_HEADER = "x-visitor-id"

PublicKey = Annotated[
    str, PathParameter(min_length=3, max_length=100, description="The agent's public widget key (`pk_…`)")
]
VisitorId = Annotated[
    str,
    HeaderParameter(
        name=VISITOR_HEADER,
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description="The random id the widget keeps in localStorage (`aioomi_visitor_id`)",
    ),
]
IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="idempotency-key", min_length=1, max_length=MAX_IDEMPOTENCY_KEY, required=False)
]
SessionId = Annotated[str, PathParameter(min_length=1, max_length=100)]
MessageId = Annotated[str, PathParameter(min_length=1, max_length=100)]

SSE_SPEC = {
    200: ResponseSpec(
        data_container=str,
        media_type="text/event-stream",
        description="Server-Sent Events: start, token, sources, done or error",
    )
}


def remember(request: Request[Any, Any, Any], **values: str | None) -> None:
    """Facts the outer middlewares read after the handler: the CORS origin to answer, and the
    account and agent for the request log."""
    request.scope.setdefault("state", {}).update(values)


def page_origin(request: Request[Any, Any, Any]) -> str | None:
    """The origin of the page the widget runs on: the ``Origin`` header; for a same-origin GET,
    which browsers send without one (the widget on a page of this server, such as /demo), this
    server's own origin when the browser vouches for it with ``Sec-Fetch-Site: same-origin``."""
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("sec-fetch-site") == "same-origin":
        origin = f"{request.url.scheme}://{request.url.netloc}"
    return origin


async def widget_agent(request: Request[Any, Any, Any], open_widget: OpenWidget, public_key: str) -> Agent:
    """The agent for this request: key and origin checked, CORS granted, then its status."""
    origin = page_origin(request)
    try:
        opened = await open_widget(public_key, origin)
    except OriginNotAllowed:
        # Answered with CORS, so the widget can read the refusal and say which origin to add.
        remember(request, cors_origin=request.headers.get("origin"))
        raise
    remember(request, cors_origin=origin, log_account_id=opened.agent.account_id, log_agent_id=opened.agent.id)
    return opened.serving()


def caller(request: Request[Any, Any, Any], visitor_id: str) -> ChatCaller:
    client = client_info(request)
    return ChatCaller(visitor_id=visitor_id, ip=client.ip, user_agent=client.user_agent)


async def sse_events(answer: ChatAnswer) -> AsyncIterator[bytes]:
    async for event in answer.events():
        if isinstance(event, TurnStarted):
            yield sse("start", {"message_id": event.message_id, "session_id": event.session_id})
        elif isinstance(event, TurnDelta):
            yield sse("token", {"text": event.text})
        elif isinstance(event, TurnSources):
            yield sse("sources", {"citations": [CitationOut.of(c) for c in event.citations]})
        elif isinstance(event, TurnDone):
            yield sse(
                "done",
                {
                    "message_id": event.message.id,
                    "usage": UsageOut.of(event.usage),
                    "status": str(event.message.status),
                },
            )
        elif isinstance(event, TurnFailed):
            yield sse(
                "error",
                {
                    "message_id": event.message_id,
                    "code": event.code,
                    "message": _HUMAN.get(event.code, "The assistant could not answer; please try again."),
                },
            )


_HUMAN = {
    "model_unavailable": "The assistant is unavailable right now; please try again in a moment.",
    "model_stream_interrupted": "The answer was interrupted; please ask again.",
    "model_rejected": "The assistant could not answer this message.",
}


def bad_encoding(request: Request[Any, Any, Any], error: UnicodeDecodeError) -> Response[Any]:
    return problem_response(request, status=400, code="invalid_encoding", detail="The body is not valid UTF-8.")


class WidgetController(Controller):
    path = "/api/v1/widget/{public_key:str}"
    tags = ["widget"]
    exception_handlers = {UnicodeDecodeError: bad_encoding}

    @get(
        "/config",
        summary="What the widget shows: name, greeting, starter questions, styling",
        responses=problems(403, 404),
    )
    async def config(
        self, open_widget: NamedDependency[OpenWidget], request: Request[Any, Any, Any], public_key: PublicKey
    ) -> WidgetConfig:
        return WidgetConfig.of(await widget_agent(request, open_widget, public_key))

    @post(
        "/sessions", status_code=201, summary="Start a chat session for this visitor", responses=problems(403, 404, 429)
    )
    async def start_session(
        self,
        open_widget: NamedDependency[OpenWidget],
        start_widget_session: NamedDependency[StartWidgetSession],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        visitor_id: VisitorId,
    ) -> VisitorSessionOut:
        agent = await widget_agent(request, open_widget, public_key)
        session = await start_widget_session(agent, caller(request, visitor_id))
        return VisitorSessionOut.of(session)

    @get("/sessions", summary="The visitor's own sessions with this agent, newest first", responses=problems(403, 404))
    async def list_sessions(
        self,
        open_widget: NamedDependency[OpenWidget],
        list_visitor_sessions: NamedDependency[ListVisitorSessions],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        visitor_id: VisitorId,
    ) -> VisitorSessionList:
        agent = await widget_agent(request, open_widget, public_key)
        sessions = await list_visitor_sessions(agent, visitor_id)
        return VisitorSessionList(data=[VisitorSessionOut.of(s) for s in sessions])

    @get("/sessions/{session_id:str}", summary="Resume a session: its messages, in order", responses=problems(403, 404))
    async def read_session(
        self,
        open_widget: NamedDependency[OpenWidget],
        read_visitor_session: NamedDependency[ReadVisitorSession],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
    ) -> VisitorSessionDetail:
        agent = await widget_agent(request, open_widget, public_key)
        session, messages = await read_visitor_session(agent, visitor_id, session_id)
        return VisitorSessionDetail(
            session=VisitorSessionOut.of(session), messages=[MessageOut.of(m) for m in messages]
        )

    @get(
        "/sessions/{session_id:str}/export",
        summary="Download the session as JSON (the visitor's data)",
        responses=problems(403, 404),
    )
    async def export_session(
        self,
        open_widget: NamedDependency[OpenWidget],
        read_visitor_session: NamedDependency[ReadVisitorSession],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
    ) -> Response[SessionExport]:
        agent = await widget_agent(request, open_widget, public_key)
        session, messages = await read_visitor_session(agent, visitor_id, session_id)
        body = SessionExport(
            exported_at=datetime.now(UTC),
            sessions=[
                OwnerSessionDetail(session=OwnerSessionOut.of(session), messages=[MessageOut.of(m) for m in messages])
            ],
        )
        return Response(body, headers={"Content-Disposition": f'attachment; filename="{session.id}.json"'})

    @delete(
        "/sessions/{session_id:str}",
        status_code=204,
        summary="Delete the session and its messages for good",
        responses=problems(403, 404),
    )
    async def delete_session(
        self,
        open_widget: NamedDependency[OpenWidget],
        delete_visitor_session: NamedDependency[DeleteVisitorSession],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
    ) -> None:
        agent = await widget_agent(request, open_widget, public_key)
        await delete_visitor_session(agent, visitor_id, session_id)

    @post(
        "/sessions/{session_id:str}/messages",
        status_code=200,
        opt={"skip_compression": True},
        summary="Send a message; the answer streams as Server-Sent Events (or JSON with `stream=false`)",
        responses={**problems(402, 403, 404, 409, 429), **SSE_SPEC},
    )
    async def send_message(
        self,
        open_widget: NamedDependency[OpenWidget],
        send_widget_message: NamedDependency[SendWidgetMessage],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
        data: JSONBody[MessageCreate],
        idempotency_key: IdempotencyKey = None,
        stream: FromQuery[bool] = True,
    ) -> Response[Any]:
        agent = await widget_agent(request, open_widget, public_key)  # the owner's account is checked there
        answer = await send_widget_message(
            agent,
            caller(request, visitor_id),
            data.content,
            session_id=session_id,
            idempotency_key=idempotency_key,
            owner_checked=True,
        )
        if stream:
            return Stream(
                sse_events(answer),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Content-Encoding": "identity"},
            )
        return Response(await reply_json(answer))

    @post(
        "/sessions/{session_id:str}/messages/{message_id:str}/feedback",
        status_code=200,
        summary="Rate an answer: thumbs up or down, with an optional comment; sent again, it replaces the vote",
        responses=problems(403, 404, 409, 429),
    )
    async def rate_answer(
        self,
        open_widget: NamedDependency[OpenWidget],
        rate_answer: NamedDependency[RateAnswer],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        message_id: MessageId,
        visitor_id: VisitorId,
        data: JSONBody[FeedbackCreate],
    ) -> FeedbackOut:
        agent = await widget_agent(request, open_widget, public_key)
        feedback = await rate_answer(
            agent,
            caller(request, visitor_id),
            session_id=session_id,
            message_id=message_id,
            rating=data.rating,
            comment=data.comment,
        )
        return FeedbackOut.of(feedback)


async def reply_json(answer: ChatAnswer) -> ChatReply:
    _, final, _ = await answer.collect()
    if isinstance(final, TurnFailed):
        raise _failure(final)
    return ChatReply(message=MessageOut.of(final.message), usage=UsageOut.of(final.usage))


def _failure(event: TurnFailed) -> AioomiError:
    return ChatModelUnavailable(_HUMAN.get(event.code, event.detail), code=event.code)
