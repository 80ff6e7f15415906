"""The visitor's side of the live handoff, on the public widget API: ask for a person, write
to them, follow their replies live (SSE, resumable with ``Last-Event-ID``), stop waiting."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from aioomi.domain.usecases.chat.open_widget import OpenWidget
from aioomi.domain.usecases.handoff.cancel_handoff import CancelHandoff
from aioomi.domain.usecases.handoff.get_handoff_availability import GetHandoffAvailability
from aioomi.domain.usecases.handoff.read_visitor_handoff import HandoffFeed, ReadVisitorHandoff
from aioomi.domain.usecases.handoff.request_handoff import RequestHandoff
from aioomi.domain.usecases.handoff.send_handoff_message import SendHandoffMessage
from aioomi.entrypoints.http.auth import client_info
from aioomi.entrypoints.http.handoff_stream import SSE_HEADERS, SSE_SPEC, conversation_events, resume_from
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_chat import MessageOut
from aioomi.entrypoints.http.schemas_handoff import (
    HandoffAvailabilityOut,
    HandoffCreate,
    HandoffMessageCreate,
    HandoffMessageOut,
    HandoffStatusOut,
)
from aioomi.entrypoints.http.widget_controller import (
    PublicKey,
    SessionId,
    VisitorId,
    bad_encoding,
    widget_agent,
)

NO_EVENTS = 10**15
"""Read the state only: no event is numbered this high."""
LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="last-event-id",
        required=False,
        max_length=20,
        description="The `id` of the last event received; the stream resumes after it",
    ),
]
After = Annotated[
    str | None,
    QueryParameter(required=False, max_length=20, description="The first connection's starting point (an event id)"),
]


class WidgetHandoffController(Controller):
    path = "/api/v1/widget/{public_key:str}"
    tags = ["widget"]
    exception_handlers = {UnicodeDecodeError: bad_encoding}

    @get(
        "/handoff",
        summary="Whether the widget offers a person, and whether one is there now",
        responses=problems(403, 404),
    )
    async def availability(
        self,
        open_widget: NamedDependency[OpenWidget],
        get_handoff_availability: NamedDependency[GetHandoffAvailability],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
    ) -> HandoffAvailabilityOut:
        agent = await widget_agent(request, open_widget, public_key)
        found = await get_handoff_availability(agent)
        return HandoffAvailabilityOut(enabled=found.enabled, open_now=found.open_now, message=found.message)

    @get(
        "/sessions/{session_id:str}/handoff",
        summary="The session's handoff state and its last event id",
        responses=problems(403, 404, 422),
    )
    async def status(
        self,
        open_widget: NamedDependency[OpenWidget],
        read_visitor_handoff: NamedDependency[ReadVisitorHandoff],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
    ) -> HandoffStatusOut:
        agent = await widget_agent(request, open_widget, public_key)
        feed = await read_visitor_handoff(agent, visitor_id, session_id, NO_EVENTS)
        return HandoffStatusOut(state=str(feed.handoff.state), last_event_id=feed.handoff.seq)

    @post(
        "/sessions/{session_id:str}/handoff",
        status_code=200,
        summary="Ask for a person (`available: false` with plain words outside office hours)",
        responses=problems(403, 404, 409, 422),
    )
    async def request_handoff(
        self,
        open_widget: NamedDependency[OpenWidget],
        request_handoff: NamedDependency[RequestHandoff],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
        data: JSONBody[HandoffCreate],
    ) -> HandoffStatusOut:
        agent = await widget_agent(request, open_widget, public_key)
        outcome = await request_handoff(agent, visitor_id, session_id, data.reason)
        return HandoffStatusOut(
            state=str(outcome.state), last_event_id=outcome.seq, available=outcome.available, message=outcome.message
        )

    @delete(
        "/sessions/{session_id:str}/handoff",
        status_code=204,
        summary="Stop waiting for a person",
        responses=problems(403, 404, 409),
    )
    async def cancel(
        self,
        open_widget: NamedDependency[OpenWidget],
        cancel_handoff: NamedDependency[CancelHandoff],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
    ) -> None:
        agent = await widget_agent(request, open_widget, public_key)
        await cancel_handoff(agent, visitor_id, session_id)

    @post(
        "/sessions/{session_id:str}/handoff/messages",
        status_code=201,
        summary="Write to the person (while waiting or with a person); no model is called",
        responses=problems(403, 404, 409, 422, 429),
    )
    async def send(
        self,
        open_widget: NamedDependency[OpenWidget],
        send_handoff_message: NamedDependency[SendHandoffMessage],
        request: Request[Any, Any, Any],
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
        data: JSONBody[HandoffMessageCreate],
    ) -> HandoffMessageOut:
        agent = await widget_agent(request, open_widget, public_key)
        event, message = await send_handoff_message(
            agent, visitor_id, session_id, data.content, ip=client_info(request).ip
        )
        return HandoffMessageOut(event_id=event.seq, message=MessageOut.of(message))

    @get(
        "/sessions/{session_id:str}/handoff/events",
        opt={"skip_compression": True},
        summary="The handoff's events as Server-Sent Events (`id` = event number; resume with Last-Event-ID)",
        responses={**problems(403, 404, 422), **SSE_SPEC},
    )
    async def events(
        self,
        open_widget: NamedDependency[OpenWidget],
        read_visitor_handoff: NamedDependency[ReadVisitorHandoff],
        request: Request[Any, Any, Any],
        state: State,
        public_key: PublicKey,
        session_id: SessionId,
        visitor_id: VisitorId,
        last_event_id: LastEventId = None,
        after: After = None,
    ) -> Response[Any]:
        agent = await widget_agent(request, open_widget, public_key)
        start = resume_from(last_event_id, after)
        read = read_visitor_handoff
        await read(agent, visitor_id, session_id, NO_EVENTS)  # a session not the visitor's is refused now
        settings = state.container.settings()

        async def feed(since: int) -> HandoffFeed:
            return await read(agent, visitor_id, session_id, since)

        return Stream(
            conversation_events(feed, start, poll_s=settings.handoff_poll_s, max_s=settings.handoff_stream_max_s),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
