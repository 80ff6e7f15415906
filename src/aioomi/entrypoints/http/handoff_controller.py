"""The owner's side of the live handoff: the handoff settings of an agent, the inbox (live
over SSE), taking a conversation, replying, handing it back, following it live, and saving a
reply as a question-and-answer pair."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.handoff import HandoffSettingsChanges
from aioomi.domain.usecases.handoff.get_handoff_settings import GetHandoffSettings
from aioomi.domain.usecases.handoff.hand_back_conversation import HandBackConversation
from aioomi.domain.usecases.handoff.list_handoff_inbox import ListHandoffInbox
from aioomi.domain.usecases.handoff.read_owner_handoff import ReadOwnerHandoff
from aioomi.domain.usecases.handoff.read_visitor_handoff import HandoffFeed
from aioomi.domain.usecases.handoff.reply_to_handoff import ReplyToHandoff
from aioomi.domain.usecases.handoff.save_handoff_reply_as_qa_pair import SaveHandoffReplyAsQaPair
from aioomi.domain.usecases.handoff.take_handoff import TakeHandoff
from aioomi.domain.usecases.handoff.update_handoff_settings import UpdateHandoffSettings
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.handoff_stream import (
    SSE_HEADERS,
    SSE_SPEC,
    conversation_events,
    inbox_events,
    resume_from,
)
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_chat import MessageOut
from aioomi.entrypoints.http.schemas_handoff import (
    HandoffMessageCreate,
    HandoffMessageOut,
    HandoffSettingsOut,
    HandoffSettingsUpdate,
    HandoffStatusOut,
    InboxEntryOut,
    InboxOut,
    SaveAsQaPair,
)
from aioomi.entrypoints.http.schemas_qa import QaPairOut
from aioomi.entrypoints.http.widget_controller import remember

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
SessionPath = Annotated[str, PathParameter(min_length=1, max_length=100)]


class HandoffSettingsController(Controller):
    path = "/api/v1/agents/{agent_id:str}/handoff-settings"
    tags = ["handoff"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The agent's handoff settings (office hours, maximum wait)", responses=problems(401, 403, 404))
    async def read(
        self,
        get_handoff_settings: NamedDependency[GetHandoffSettings],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
    ) -> HandoffSettingsOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        return HandoffSettingsOut.of(await get_handoff_settings(principal, agent_id))

    @patch(
        "/",
        summary="Change some handoff settings; fields not sent stay as they are",
        responses=problems(401, 403, 404, 422),
    )
    async def update(
        self,
        update_handoff_settings: NamedDependency[UpdateHandoffSettings],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[HandoffSettingsUpdate],
    ) -> HandoffSettingsOut:
        remember(request, log_account_id=principal.workspace_id, log_agent_id=agent_id)
        changes = HandoffSettingsChanges(
            enabled=data.enabled,
            time_zone=data.time_zone,
            opens=data.opens,
            closes=data.closes,
            max_wait_s=data.max_wait_s,
            days=tuple(data.days) if isinstance(data.days, list) else data.days,
        )
        return HandoffSettingsOut.of(await update_handoff_settings(principal, agent_id, changes))


class HandoffController(Controller):
    path = "/api/v1/handoffs"
    tags = ["handoff"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/",
        summary="The inbox: conversations waiting for a person or with one, longest waiting first",
        responses=problems(401, 403),
    )
    async def inbox(
        self,
        list_handoff_inbox: NamedDependency[ListHandoffInbox],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
    ) -> InboxOut:
        remember(request, log_account_id=principal.workspace_id)
        entries = await list_handoff_inbox(principal)
        return InboxOut(data=[InboxEntryOut.of(e) for e in entries])

    @get(
        "/stream",
        opt={"skip_compression": True},
        summary="The inbox as Server-Sent Events: the whole list (`inbox`) at once and at each change",
        responses={**problems(401, 403), **SSE_SPEC},
    )
    async def inbox_stream(
        self,
        list_handoff_inbox: NamedDependency[ListHandoffInbox],
        request: Request[Any, Any, Any],
        state: State,
        principal: NamedDependency[Principal],
    ) -> Response[Any]:
        remember(request, log_account_id=principal.workspace_id)
        list_inbox = list_handoff_inbox
        settings = state.container.settings()

        async def read() -> InboxOut:
            return InboxOut(data=[InboxEntryOut.of(e) for e in await list_inbox(principal)])

        # The first read runs now, so a role that may not read the inbox gets a 403, not a
        # stream that breaks; the stream starts with it.
        first = [await read()]

        async def read_next() -> InboxOut:
            return first.pop() if first else await read()

        return Stream(
            inbox_events(read_next, poll_s=settings.handoff_poll_s, max_s=settings.handoff_stream_max_s),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )

    @post(
        "/{session_id:str}/take",
        status_code=200,
        summary="Take a waiting conversation",
        responses=problems(401, 403, 404, 409),
    )
    async def take(
        self,
        take_handoff: NamedDependency[TakeHandoff],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: SessionPath,
    ) -> HandoffStatusOut:
        remember(request, log_account_id=principal.workspace_id)
        event = await take_handoff(principal, session_id)
        return HandoffStatusOut(state=str(event.state), last_event_id=event.seq)

    @post(
        "/{session_id:str}/hand-back",
        status_code=200,
        summary="Hand the conversation back to the assistant",
        responses=problems(401, 403, 404, 409),
    )
    async def hand_back(
        self,
        hand_back_conversation: NamedDependency[HandBackConversation],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: SessionPath,
    ) -> HandoffStatusOut:
        remember(request, log_account_id=principal.workspace_id)
        event = await hand_back_conversation(principal, session_id)
        return HandoffStatusOut(state=str(event.state), last_event_id=event.seq)

    @post(
        "/{session_id:str}/replies",
        status_code=201,
        summary="Reply to the visitor (once taken)",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def reply(
        self,
        reply_to_handoff: NamedDependency[ReplyToHandoff],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: SessionPath,
        data: JSONBody[HandoffMessageCreate],
    ) -> HandoffMessageOut:
        remember(request, log_account_id=principal.workspace_id)
        event, message = await reply_to_handoff(principal, session_id, data.content)
        return HandoffMessageOut(event_id=event.seq, message=MessageOut.of(message))

    @post(
        "/{session_id:str}/qa-pairs",
        status_code=201,
        summary="Save one of your replies as a question-and-answer pair of the agent",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def save_as_qa_pair(
        self,
        save_handoff_reply_as_qa_pair: NamedDependency[SaveHandoffReplyAsQaPair],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: SessionPath,
        data: JSONBody[SaveAsQaPair],
    ) -> QaPairOut:
        remember(request, log_account_id=principal.workspace_id)
        pair = await save_handoff_reply_as_qa_pair(principal, session_id, data.message_id, data.question)
        return QaPairOut.of(pair)

    @get(
        "/{session_id:str}/events",
        opt={"skip_compression": True},
        summary="The conversation's handoff events as Server-Sent Events (resume with Last-Event-ID)",
        responses={**problems(401, 403, 404, 422), **SSE_SPEC},
    )
    async def events(
        self,
        read_owner_handoff: NamedDependency[ReadOwnerHandoff],
        request: Request[Any, Any, Any],
        state: State,
        principal: NamedDependency[Principal],
        session_id: SessionPath,
        last_event_id: LastEventId = None,
        after: After = None,
    ) -> Response[Any]:
        remember(request, log_account_id=principal.workspace_id)
        start = resume_from(last_event_id, after)
        read = read_owner_handoff
        await read(principal, session_id, NO_EVENTS)  # another account's conversation is refused now
        settings = state.container.settings()

        async def feed(since: int) -> HandoffFeed:
            return await read(principal, session_id, since)

        return Stream(
            conversation_events(feed, start, poll_s=settings.handoff_poll_s, max_s=settings.handoff_stream_max_s),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )


NO_EVENTS = 10**15
