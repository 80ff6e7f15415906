"""Request and response bodies of the chat endpoints (widget, owner conversations, and the
OpenAI-compatible ``/v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import (
    ChatMessage,
    ChatSession,
    Citation,
    PromptMessage,
    Role,
    SessionSummary,
    TokenUsage,
    check_message,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.entrypoints.http.schemas_feedback import FeedbackOut


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
        return cls(
            document_id=c.document_id,
            document_title=c.document_title,
            position=c.position,
            excerpt=c.excerpt,
            number=c.number,
            url=c.url,
        )


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
    feedback: FeedbackOut | None = None
    """The visitor's thumbs up or down on an answer, with its comment."""
    curated_pair_id: str | None = None
    """An answer served as it is from the owner's Q&A pair of this id (no model call)."""

    @classmethod
    def of(cls, m: ChatMessage) -> MessageOut:
        return cls(
            id=m.id,
            session_id=m.session_id,
            role=str(m.role),
            content=m.content,
            status=str(m.status),
            citations=[CitationOut.of(c) for c in m.citations],
            created_at=m.created_at,
            model=m.model,
            prompt_tokens=m.prompt_tokens,
            completion_tokens=m.completion_tokens,
            latency_ms=m.latency_ms,
            error_code=m.error_code,
            feedback=FeedbackOut.of(m.feedback) if m.feedback else None,
            curated_pair_id=m.curated_pair_id,
        )


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
    first_question: str | None = None
    """The visitor's first message (at most 200 characters); in lists only."""
    message_count: int | None = None
    """How many messages the session holds; in lists only."""

    @classmethod
    def of(cls, s: ChatSession, summary: SessionSummary | None = None) -> OwnerSessionOut:
        return cls(
            id=s.id,
            agent_id=s.agent_id,
            visitor_id=s.visitor_id,
            channel=str(s.channel),
            created_at=s.created_at,
            last_message_at=s.last_message_at,
            ip=s.ip,
            user_agent=s.user_agent,
            first_question=summary.first_question if summary else None,
            message_count=summary.message_count if summary else None,
        )


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
    locale: str = "auto"


class WidgetConfig(msgspec.Struct, frozen=True, kw_only=True):
    agent_name: str
    greeting: str | None
    starter_questions: list[str]
    style: WidgetStyleOut

    @classmethod
    def of(cls, agent: Agent) -> WidgetConfig:
        w = agent.widget
        return cls(
            agent_name=agent.name,
            greeting=agent.greeting,
            starter_questions=list(agent.starter_questions),
            style=WidgetStyleOut(
                primary_color=w.primary_color,
                position=str(w.position),
                theme=str(w.theme),
                title=w.title or agent.name,
                avatar_url=w.avatar_url,
                launcher_text=w.launcher_text,
                locale=str(w.locale),
            ),
        )


class MessageCreate(msgspec.Struct, frozen=True, kw_only=True):
    content: str


class ChatReply(msgspec.Struct, frozen=True, kw_only=True):
    """The non-streaming answer: the stored answer, its citations and token usage."""

    message: MessageOut
    usage: UsageOut


def sse(event: str, data: Any) -> bytes:
    """One Server-Sent Event: ``event:`` name and a one-line JSON ``data:``."""
    return b"event: " + event.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"


# --- OpenAI-compatible API (/v1) ---------------------------------------------------------------

MAX_COMPLETION_MESSAGES = 200
MAX_EARLIER_TURN_CHARS = 32_000
"""An earlier turn the client sends (a long answer it got, say) may be longer than a question."""
SESSION_HEADER = "X-Aioomi-Session-Id"
"""Continue a stored conversation: the id comes back in this header (and as ``session_id``)."""


class ContentPart(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    text: str | None = None
    image_url: Any = None
    input_audio: Any = None
    file: Any = None


class CompletionMessage(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    refusal: str | None = None
    tool_calls: Any = None
    tool_call_id: str | None = None
    function_call: Any = None
    audio: Any = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(msgspec.Struct, frozen=True, kw_only=True):
    include_usage: bool = False
    include_obfuscation: bool | None = None


class CompletionCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """OpenAI's request; ``model`` is the agent id. The agent's own settings (system prompt,
    model, temperature, max tokens) apply: sampling fields are accepted and ignored. Fields that
    would change what comes back (several choices, tools, a JSON format, log-probabilities,
    stop sequences, audio) are refused with 400 naming the parameter (:func:`unsupported`);
    fields OpenAI does not know are refused as OpenAI refuses them."""

    model: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    messages: Annotated[list[CompletionMessage], msgspec.Meta(min_length=1, max_length=MAX_COMPLETION_MESSAGES)]
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    # Accepted and ignored: the agent's settings apply.
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    reasoning_effort: str | None = None
    verbosity: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    parallel_tool_calls: bool | None = None
    # Refused unless left at what OpenAI does by default.
    n: int | None = None
    tools: list[Any] | None = None
    tool_choice: Any = None
    functions: list[Any] | None = None
    function_call: Any = None
    response_format: dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, Any] | None = None
    stop: str | list[str] | None = None
    audio: Any = None
    modalities: list[str] | None = None
    prediction: Any = None
    web_search_options: Any = None


def _refuse(param: str, why: str) -> InvalidInput:
    return InvalidInput(f"`{param}` is not supported: {why}", code="unsupported_parameter", field=param)


def check_supported(data: CompletionCreate) -> None:
    """Raise ``unsupported_parameter`` (400, ``param`` = the field) for what an agent cannot do."""
    if data.n is not None and data.n != 1:
        raise _refuse("n", "an agent gives one answer per request (n = 1).")
    for name in ("tools", "functions"):
        if getattr(data, name):
            raise _refuse(name, "agents answer from their knowledge base and call no tools.")
    if data.tool_choice not in (None, "none"):
        raise _refuse("tool_choice", "agents call no tools.")
    if data.function_call not in (None, "none"):
        raise _refuse("function_call", "agents call no functions.")
    if data.response_format is not None and data.response_format.get("type") != "text":
        raise _refuse("response_format", "answers are text, with citations.")
    if data.logprobs or data.top_logprobs:
        raise _refuse("logprobs" if data.logprobs else "top_logprobs", "log-probabilities are not returned.")
    if data.logit_bias:
        raise _refuse("logit_bias", "the agent's own model settings apply.")
    if data.stop:
        raise _refuse("stop", "stop sequences are not applied.")
    if data.audio is not None or (data.modalities is not None and data.modalities != ["text"]):
        raise _refuse("audio" if data.audio is not None else "modalities", "answers are text only.")
    if data.prediction is not None:
        raise _refuse("prediction", "predicted outputs are not used.")
    if data.web_search_options is not None:
        raise _refuse("web_search_options", "agents answer from their knowledge base, not the web.")
    for i, message in enumerate(data.messages):
        if message.role in ("tool", "function") or message.tool_calls or message.function_call:
            raise _refuse(
                f"messages[{i}].role" if message.role in ("tool", "function") else f"messages[{i}].tool_calls",
                "agents call no tools.",
            )
        if message.audio is not None:
            raise _refuse(f"messages[{i}].audio", "messages are text only.")
        if isinstance(message.content, list):
            for j, part in enumerate(message.content):
                if part.type != "text":
                    raise _refuse(
                        f"messages[{i}].content[{j}].type", f"messages are text only (got {part.type[:40]!r})."
                    )


def split_messages(messages: list[CompletionMessage]) -> tuple[list[PromptMessage], str]:
    """The earlier turns (user and assistant messages) and the question (the last message,
    a user's, 1–4,000 characters). System and developer messages are not passed on: the
    agent's own system prompt governs."""
    last = len(messages) - 1
    if messages[last].role != "user":
        raise InvalidInput(
            "The last message must be a user message.", code="invalid_messages", field=f"messages[{last}].role"
        )
    question = check_message(messages[last].text(), field=f"messages[{last}].content")
    history = []
    for i, m in enumerate(messages[:last]):
        text = m.text()
        if len(text) > MAX_EARLIER_TURN_CHARS:
            raise InvalidInput(
                f"An earlier message has at most {MAX_EARLIER_TURN_CHARS:,} characters.",
                code="message_too_long",
                field=f"messages[{i}].content",
            )
        if m.role in ("user", "assistant") and text.strip():
            history.append(PromptMessage(role=Role(m.role), content=text))
    return history, question


class ModelOut(msgspec.Struct, frozen=True, kw_only=True):
    """An agent as an OpenAI model; ``name`` (the agent's name) is an extra SDKs keep."""

    id: str
    object: str = "model"
    created: int
    owned_by: str
    name: str

    @classmethod
    def of(cls, agent: Agent) -> ModelOut:
        return cls(id=agent.id, created=int(agent.created_at.timestamp()), owned_by=agent.account_id, name=agent.name)


class ModelList(msgspec.Struct, frozen=True, kw_only=True):
    object: str = "list"
    data: list[ModelOut]
