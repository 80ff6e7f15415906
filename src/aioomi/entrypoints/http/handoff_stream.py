"""Server-Sent Event streams of the live handoff. Each stream polls its use case on a timer:
one short read per tick on a pooled connection, returned at once, so an idle stream holds no
database connection, and at most one page of events (100) is in memory at a time. A response
lasts at most ``handoff_stream_max_s``; the client reconnects with ``Last-Event-ID`` and gets
exactly the events after it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.handoff import HandoffState, check_after
from aioomi.domain.usecases.handoff.read_visitor_handoff import HandoffFeed
from aioomi.domain.usecases.handoff.support import EVENTS_PAGE
from aioomi.entrypoints.http.schemas_chat import sse
from aioomi.entrypoints.http.schemas_handoff import InboxOut, SseEvent, sse_event

HEARTBEAT_S = 15.0
RETRY_MS = 2_000
SSE_SPEC = {
    200: ResponseSpec(
        data_container=SseEvent,
        media_type="text/event-stream",
        description="Server-Sent Events (`id` is the event's number: resume with Last-Event-ID)",
    )
}
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Content-Encoding": "identity"}


def resume_from(last_event_id: str | None, after: str | None) -> int:
    """Where a stream starts: the ``Last-Event-ID`` header a reconnecting client sends, else
    the ``after`` query parameter of a first connection, else the beginning."""
    return check_after(last_event_id if last_event_id is not None else after)


async def conversation_events(
    read: Callable[[int], Awaitable[HandoffFeed]], after: int, *, poll_s: float, max_s: float
) -> AsyncIterator[bytes]:
    """The events numbered above ``after``, as they come. The stream ends when the
    conversation is back with the assistant and every event up to that was sent (nothing more
    will come until a new request), when the response reached ``max_s``, or when the
    conversation is gone."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    deadline = time.monotonic() + max_s
    beat = time.monotonic()
    while True:
        try:
            feed = await read(after)
        except AioomiError:
            return  # deleted meanwhile (or the agent stopped serving): nothing more to send
        for event, message in feed.events:
            yield sse_event(event, message, feed.expired_message)
            after = event.seq
        now = time.monotonic()
        if now >= deadline:
            return
        if len(feed.events) == EVENTS_PAGE:
            continue  # more are waiting: no pause
        if feed.handoff.state is HandoffState.ASSISTANT and after >= feed.handoff.seq:
            return
        if now - beat >= HEARTBEAT_S:
            beat = now
            yield b": keep-alive\n\n"
        await asyncio.sleep(poll_s)


async def inbox_events(read: Callable[[], Awaitable[InboxOut]], *, poll_s: float, max_s: float) -> AsyncIterator[bytes]:
    """The owner's inbox: the whole list (at most 100) at once, then again each time it
    changes (a conversation asks, is taken, gets a message, goes back)."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    deadline = time.monotonic() + max_s
    beat = time.monotonic()
    sent: bytes | None = None
    while True:
        inbox = await read()
        body = msgspec.json.encode(inbox)
        if body != sent:
            sent = body
            yield sse("inbox", inbox)
        now = time.monotonic()
        if now >= deadline:
            return
        if now - beat >= HEARTBEAT_S:
            beat = now
            yield b": keep-alive\n\n"
        await asyncio.sleep(poll_s)
