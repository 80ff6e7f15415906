"""Request and response bodies of the chat endpoints (widget, owner conversations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage, ChatSession, Citation, TokenUsage


class CitationOut(msgspec.Struct, frozen=True, kw_only=True):
    """A source of an answer: its ``[number]`` in the answer, the document's title, a short
    quote, and ``url`` (a fetched page's address, with a text fragment) or ``null``."""

    document_id: str
    document_title: str
    position: int
    excerpt: str
    number: int
    url: str | None

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(document_id=c.document_id, document_title=c.document_title, position=c.position, excerpt=c.excerpt,
                   number=c.number, url=c.url)


class UsageOut(msgspec.Struct, frozen=True, kw_only=True):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, u: TokenUsage) -> UsageOut:
        return cls(prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens, total_tokens=u.total_tokens)


class MessageOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    session_id: str
    role: str
    content: str
    status: str
    citations: list[CitationOut]
    created_at: datetime
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int | None = None
    error_code: str | None = None

    @classmethod
    def of(cls, m: ChatMessage) -> MessageOut:
        return cls(id=m.id, session_id=m.session_id, role=str(m.role), content=m.content, status=str(m.status),
                   citations=[CitationOut.of(c) for c in m.citations], created_at=m.created_at, model=m.model,
                   prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens, latency_ms=m.latency_ms,
                   error_code=m.error_code)


class VisitorSessionOut(msgspec.Struct, frozen=True, kw_only=True):
    """A session as its visitor sees it (no IP or user agent echoed back)."""

    id: str
    created_at: datetime
    last_message_at: datetime | None = None

    @classmethod
    def of(cls, s: ChatSession) -> VisitorSessionOut:
        return cls(id=s.id, created_at=s.created_at, last_message_at=s.last_message_at)


class VisitorSessionList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[VisitorSessionOut]
    next_cursor: str | None = None


class VisitorSessionDetail(msgspec.Struct, frozen=True, kw_only=True):
    session: VisitorSessionOut
    messages: list[MessageOut]


class OwnerSessionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    visitor_id: str
    channel: str
    created_at: datetime
    last_message_at: datetime | None = None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, s: ChatSession) -> OwnerSessionOut:
        return cls(id=s.id, agent_id=s.agent_id, visitor_id=s.visitor_id, channel=str(s.channel),
                   created_at=s.created_at, last_message_at=s.last_message_at, ip=s.ip, user_agent=s.user_agent)


class OwnerSessionList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[OwnerSessionOut]
    next_cursor: str | None = None


class OwnerSessionDetail(msgspec.Struct, frozen=True, kw_only=True):
    session: OwnerSessionOut
    messages: list[MessageOut]


class SessionExport(msgspec.Struct, frozen=True, kw_only=True):
    exported_at: datetime
    sessions: list[OwnerSessionDetail]


class WidgetStyleOut(msgspec.Struct, frozen=True, kw_only=True):
    primary_color: str
    position: str
    theme: str
    title: str | None = None
    avatar_url: str | None = None
    launcher_text: str | None = None


class WidgetConfig(msgspec.Struct, frozen=True, kw_only=True):
    agent_name: str
    greeting: str | None
    starter_questions: list[str]
    style: WidgetStyleOut

    @classmethod
    def of(cls, agent: Agent) -> WidgetConfig:
        w = agent.widget
        return cls(agent_name=agent.name, greeting=agent.greeting, starter_questions=list(agent.starter_questions),
                   style=WidgetStyleOut(primary_color=w.primary_color, position=str(w.position), theme=str(w.theme),
                                        title=w.title or agent.name, avatar_url=w.avatar_url,
                                        launcher_text=w.launcher_text))


class MessageCreate(msgspec.Struct, frozen=True, kw_only=True):
    content: str


class ChatReply(msgspec.Struct, frozen=True, kw_only=True):
    """The non-streaming answer: the stored answer, its citations and token usage."""

    message: MessageOut
    usage: UsageOut


def sse(event: str, data: Any) -> bytes:
    """One Server-Sent Event: ``event:`` name and a one-line JSON ``data:``."""
    return b"event: " + event.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"
