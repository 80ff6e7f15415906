"""Request and response bodies of the agents API (msgspec, validated at the edge).

The constraints here mirror the domain's rules (:mod:`aioomi.domain.model.agents`), which are
checked again, and more finely (origins are normalised there), by the use cases.
:func:`field_errors` checks a raw body field by field, so a 422 names every bad field at once.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import datetime
from typing import Annotated, Any, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType

from aioomi.domain.model import agents as rules
from aioomi.domain.model.agents import Agent, AgentStatus, AnswerMode, WidgetLocale, WidgetPosition, WidgetTheme
from aioomi.domain.model.chat import DEFAULT_MAX_CITATIONS, MAX_CITATIONS
from aioomi.domain.model.knowledge import DEFAULT_MIN_RELEVANCE, DEFAULT_TOP_K
from aioomi.entrypoints.http.schemas_accounts import Body

AgentName = Annotated[str, Meta(min_length=1, max_length=rules.MAX_AGENT_NAME, description="1 to 100 characters")]
SystemPrompt = Annotated[str, Meta(max_length=rules.MAX_SYSTEM_PROMPT, description="Up to 20,000 characters")]
ModelName = Annotated[
    str, Meta(min_length=1, max_length=rules.MAX_MODEL_NAME, pattern=rules.MODEL_PATTERN, examples=["gpt-4o"])
]
Temperature = Annotated[float, Meta(ge=rules.MIN_TEMPERATURE, le=rules.MAX_TEMPERATURE)]
MaxTokens = Annotated[int, Meta(ge=rules.MIN_MAX_TOKENS, le=rules.MAX_MAX_TOKENS)]
FallbackMessage = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=rules.MAX_FALLBACK_MESSAGE,
        description="What a grounded agent says when its knowledge base has no answer",
    ),
]
Greeting = Annotated[str, Meta(max_length=rules.MAX_GREETING)]
StarterQuestion = Annotated[str, Meta(min_length=1, max_length=rules.MAX_STARTER_QUESTION)]
StarterQuestions = Annotated[list[StarterQuestion], Meta(max_length=rules.MAX_STARTER_QUESTIONS)]
Color = Annotated[str, Meta(pattern=rules.COLOR_PATTERN, description="#rrggbb", examples=["#2563eb"])]
AvatarUrl = Annotated[
    str,
    Meta(max_length=rules.MAX_AVATAR_URL, pattern=r"^https://[^\s\"'<>\\`]+$", description="An https:// image address"),
]
WidgetTitle = Annotated[str, Meta(max_length=rules.MAX_WIDGET_TITLE)]
LauncherText = Annotated[str, Meta(max_length=rules.MAX_LAUNCHER_TEXT)]
# Shape only; the domain normalises each origin and checks its host and port.
Origin = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=rules.MAX_ORIGIN,
        pattern=r"^\s*[A-Za-z]+://[^/?#@*\s\\]+/?\s*$",
        description="scheme://host[:port], no path or wildcard",
        examples=["https://shop.example.com", "http://localhost:3000"],
    ),
]
Origins = Annotated[list[Origin], Meta(max_length=rules.MAX_ALLOWED_ORIGINS)]
TopK = Annotated[int, Meta(ge=1, le=rules.MAX_AGENT_TOP_K)]
MinRelevance = Annotated[
    float,
    Meta(
        ge=0,
        le=1,
        description=(
            "How sure the assistant must be that a passage bears on the question (0-1, calibrated per embedding "
            "model: 0.5 is the measured gate, higher is stricter, 0 lets everything through)"
        ),
    ),
]
MaxCitations = Annotated[int, Meta(ge=1, le=MAX_CITATIONS, description="At most this many sources per answer")]


# --- in ----------------------------------------------------------------------------------------


class WidgetIn(Body):
    primary_color: Color = rules.DEFAULT_PRIMARY_COLOR
    position: WidgetPosition = WidgetPosition.RIGHT
    title: WidgetTitle | None = None
    """``null``: the widget shows the agent's name."""
    avatar_url: AvatarUrl | None = None
    theme: WidgetTheme = WidgetTheme.AUTO
    launcher_text: LauncherText | None = None
    """``null``: the launcher shows an icon only."""
    locale: WidgetLocale = WidgetLocale.AUTO
    """The widget's own words: `en`, `fr`, `de`, `es`, `ar`, or `auto` (the host page's `<html lang>`)."""


class RetrievalIn(Body):
    top_k: TopK = DEFAULT_TOP_K
    min_relevance: MinRelevance = DEFAULT_MIN_RELEVANCE
    max_citations: MaxCitations = DEFAULT_MAX_CITATIONS


class AgentCreate(Body):
    name: AgentName
    system_prompt: SystemPrompt = ""
    model: ModelName = rules.DEFAULT_MODEL
    temperature: Temperature = rules.DEFAULT_TEMPERATURE
    max_tokens: MaxTokens = rules.DEFAULT_MAX_TOKENS
    answer_mode: AnswerMode = AnswerMode.GROUNDED
    """``grounded``: answer only from the knowledge base, otherwise the fallback message;
    ``assisted``: may add general knowledge."""
    fallback_message: FallbackMessage = rules.DEFAULT_FALLBACK_MESSAGE
    retrieval: RetrievalIn = msgspec.field(default_factory=RetrievalIn)
    greeting: Greeting | None = None
    starter_questions: StarterQuestions = msgspec.field(default_factory=list)
    widget: WidgetIn = msgspec.field(default_factory=WidgetIn)
    allowed_origins: Origins = msgspec.field(default_factory=list)
    """Exact origins the widget may run on; none until set."""
    status: AgentStatus = AgentStatus.ACTIVE


class WidgetPatch(Body):
    primary_color: Color | UnsetType = UNSET
    position: WidgetPosition | UnsetType = UNSET
    title: WidgetTitle | None | UnsetType = UNSET
    avatar_url: AvatarUrl | None | UnsetType = UNSET
    theme: WidgetTheme | UnsetType = UNSET
    launcher_text: LauncherText | None | UnsetType = UNSET
    locale: WidgetLocale | UnsetType = UNSET


class RetrievalPatch(Body):
    top_k: TopK | UnsetType = UNSET
    min_relevance: MinRelevance | UnsetType = UNSET
    max_citations: MaxCitations | UnsetType = UNSET


class AgentPatch(Body):
    """Only the fields sent change (inside ``widget`` and ``retrieval`` too); ``null`` clears
    ``greeting``, ``widget.title``, ``widget.avatar_url`` and ``widget.launcher_text``."""

    name: AgentName | UnsetType = UNSET
    system_prompt: SystemPrompt | UnsetType = UNSET
    model: ModelName | UnsetType = UNSET
    temperature: Temperature | UnsetType = UNSET
    max_tokens: MaxTokens | UnsetType = UNSET
    answer_mode: AnswerMode | UnsetType = UNSET
    fallback_message: FallbackMessage | UnsetType = UNSET
    retrieval: RetrievalPatch | UnsetType = UNSET
    greeting: Greeting | None | UnsetType = UNSET
    starter_questions: StarterQuestions | UnsetType = UNSET
    widget: WidgetPatch | UnsetType = UNSET
    allowed_origins: Origins | UnsetType = UNSET
    status: AgentStatus | UnsetType = UNSET


# --- out ---------------------------------------------------------------------------------------


class WidgetOut(msgspec.Struct, frozen=True, kw_only=True):
    primary_color: str
    position: WidgetPosition
    title: str | None
    avatar_url: str | None
    theme: WidgetTheme
    launcher_text: str | None
    locale: WidgetLocale


class RetrievalOut(msgspec.Struct, frozen=True, kw_only=True):
    top_k: int
    min_relevance: float
    max_citations: int


class AgentOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    system_prompt: str
    model: str
    temperature: float
    max_tokens: int
    answer_mode: AnswerMode
    fallback_message: str
    retrieval: RetrievalOut
    greeting: str | None
    starter_questions: list[str]
    widget: WidgetOut
    allowed_origins: list[str]
    public_key: str
    """The key the widget snippet carries (public: it is on the owner's pages)."""
    status: AgentStatus
    embedding_model: str
    """The model the knowledge base is embedded with; fixed at creation."""
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, agent: Agent) -> AgentOut:
        fields = {name: getattr(agent, name) for name in cls.__struct_fields__}
        return msgspec.convert(msgspec.to_builtins(fields), cls)


class AgentList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[AgentOut]
    next_cursor: str | None = None


# --- every bad field at once -------------------------------------------------------------------

_AT = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`$")
_INDEX = re.compile(r"\[\d+\]$")
# What a pattern mismatch means, by field: msgspec would quote the regular expression.
_PATTERN_MEANS = {
    "primary_color": "Use a colour of the form #rrggbb, such as #2563eb.",
    "avatar_url": "Use an https:// address for the avatar.",
    "allowed_origins": "Use an origin such as https://shop.example.com or http://localhost:3000: "
    "scheme, host and port only, no path and no wildcard.",
    "model": "Name a model such as gpt-4o: letters, digits and . _ : / - only.",
}


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of an annotation, ``Annotated`` removed: ``X | None | UnsetType`` → [X, None, UnsetType]."""
    if typing.get_origin(annotation) is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [alt for arg in typing.get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _struct_in(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct type an annotation such as ``WidgetPatch | UnsetType`` decodes to, if any."""
    found = [a for a in _unwrap(annotation) if isinstance(a, type) and issubclass(a, msgspec.Struct)]
    return found[0] if len(found) == 1 else None


def _item_type_in(annotation: Any) -> Any | None:
    """The item type of the list an annotation such as ``Origins | UnsetType`` decodes to, if any."""
    found = [typing.get_args(a)[0] for a in _unwrap(annotation) if typing.get_origin(a) is list]
    return found[0] if len(found) == 1 else None


def _error(path: str, error: msgspec.ValidationError) -> tuple[str, str]:
    at = _AT.match(str(error))
    path, message = (path + at["path"], at["message"]) if at else (path, str(error))
    if "matching regex" in message:
        leaf = _INDEX.sub("", path).rpartition(".")[2]
        message = _PATTERN_MEANS.get(leaf, message)
    return path, message


def field_errors(raw: Any, body_type: type[msgspec.Struct], prefix: str = "") -> list[tuple[str, str]]:
    """Every (field path, message) that keeps ``raw`` (decoded JSON) from converting to
    ``body_type``, as msgspec would say it, but for every field and every list item rather than
    the first only. Paths read like msgspec's: ``widget.primary_color``, ``allowed_origins[2]``."""
    if not isinstance(raw, dict):
        try:
            msgspec.convert(raw, body_type, strict=False)
        except msgspec.ValidationError as error:
            return [_error(prefix.rstrip("."), error)]
        return []
    errors: list[tuple[str, str]] = []
    fields = {f.encode_name: f for f in msgspec.structs.fields(body_type)}
    for key in raw:
        if key not in fields:
            errors.append((f"{prefix}{key}", "Unknown field: this object has no such field"))
    for name, info in fields.items():
        path = f"{prefix}{name}"
        if name not in raw:
            if info.required:
                errors.append((path, f"Object missing required field `{name}`"))
            continue
        value = raw[name]
        nested = _struct_in(info.type)
        if nested is not None and isinstance(value, dict):
            errors.extend(field_errors(value, nested, prefix=f"{path}."))
            continue
        item_type = _item_type_in(info.type)
        if item_type is not None and isinstance(value, list):
            for i, item in enumerate(value):
                try:
                    msgspec.convert(item, item_type, strict=False)
                except msgspec.ValidationError as error:
                    errors.append(_error(f"{path}[{i}]", error))
        try:
            msgspec.convert(value, info.type, strict=False)
        except msgspec.ValidationError as error:
            found = _error(path, error)
            if found[0] == path:  # an item's error is listed already
                errors.append(found)
    return errors
