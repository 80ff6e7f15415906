"""Request and response bodies of the live handoff (widget and owner), and its SSE events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.chat import MAX_MESSAGE_CHARS, ChatMessage, ChatSession
from aioomi.domain.model.handoff import HandoffEvent, HandoffEventKind, HandoffSettings, Weekday
from aioomi.domain.usecases.handoff.list_handoff_inbox import InboxEntry
from aioomi.domain.usecases.handoff.request_handoff import HandoffReason
from aioomi.entrypoints.http.schemas_chat import MessageOut, sse


class HandoffSettingsOut(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool
    time_zone: str
    days: list[str]
    opens: str
    closes: str
    max_wait_s: int

    @classmethod
    def of(cls, s: HandoffSettings) -> HandoffSettingsOut:
        return cls(
            enabled=s.enabled,
            time_zone=s.time_zone,
            days=[str(d) for d in s.days],
            opens=s.opens,
            closes=s.closes,
            max_wait_s=s.max_wait_s,
        )


class HandoffSettingsUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields left out stay as they are."""

    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    time_zone: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType = msgspec.UNSET
    days: Annotated[list[Weekday], msgspec.Meta(max_length=7)] | msgspec.UnsetType = msgspec.UNSET
    opens: Annotated[str, msgspec.Meta(max_length=5)] | msgspec.UnsetType = msgspec.UNSET
    closes: Annotated[str, msgspec.Meta(max_length=5)] | msgspec.UnsetType = msgspec.UNSET
    max_wait_s: int | msgspec.UnsetType = msgspec.UNSET


class HandoffAvailabilityOut(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool
    open_now: bool
    message: str | None = None


class HandoffCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: HandoffReason = HandoffReason.ASKED


class HandoffStatusOut(msgspec.Struct, frozen=True, kw_only=True):
    """A conversation's handoff: its state, the number of its last event (resume a stream
    from it), and, when no one can be asked now, ``available: false`` with the plain words."""

    state: str
    last_event_id: int
    available: bool = True
    message: str | None = None


class HandoffMessageCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    content: Annotated[str, msgspec.Meta(max_length=MAX_MESSAGE_CHARS * 2)]


class HandoffMessageOut(msgspec.Struct, frozen=True, kw_only=True):
    event_id: int
    message: MessageOut


class SaveAsQaPair(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    message_id: Annotated[str, msgspec.Meta(max_length=100)]
    question: Annotated[str, msgspec.Meta(max_length=1_000)] | None = None


class InboxEntryOut(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    agent_id: str
    agent_name: str
    state: str
    last_event_id: int
    requested_at: datetime | None
    taken_at: datetime | None
    last_message: MessageOut | None = None

    @classmethod
    def of(cls, entry: InboxEntry) -> InboxEntryOut:
        s: ChatSession = entry.session
        return cls(
            session_id=s.id,
            agent_id=s.agent_id,
            agent_name=entry.agent_name,
            state=str(s.handoff),
            last_event_id=s.handoff_seq,
            requested_at=s.handoff_requested_at,
            taken_at=s.handoff_taken_at,
            last_message=MessageOut.of(entry.last_message) if entry.last_message is not None else None,
        )


class InboxOut(msgspec.Struct, frozen=True, kw_only=True):
    data: list[InboxEntryOut]


class SseEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One Server-Sent Event as a client parses it (the schema of a handoff stream's items)."""

    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: int | None = None


class HandoffEventOut(msgspec.Struct, frozen=True, kw_only=True):
    """The ``data`` of one SSE event of a conversation's handoff stream (its ``id`` is ``seq``)."""

    seq: int
    kind: str
    state: str
    created_at: datetime
    message: MessageOut | None = None
    notice: str | None = None
    """Plain words for the visitor (when the wait ran out)."""


def sse_event(event: HandoffEvent, message: ChatMessage | None, expired_notice: str) -> bytes:
    """One numbered SSE event: ``id:`` is the event's number, which the client sends back as
    ``Last-Event-ID`` when it reconnects."""
    body = HandoffEventOut(
        seq=event.seq,
        kind=str(event.kind),
        state=str(event.state),
        created_at=event.created_at,
        message=MessageOut.of(message) if message is not None else None,
        notice=expired_notice if event.kind is HandoffEventKind.EXPIRED else None,
    )
    return b"id: " + str(event.seq).encode() + b"\n" + sse(str(event.kind), body)
