"""Agents: the assistants owners put on their websites, with the rules for their settings.

An agent answers from its knowledge base (the documents its owner uploads) with a chat model,
in the widget on the owner's site. Its settings are checked here, once, for every way in:
:func:`check_agent_settings` returns them normalised or raises :class:`InvalidInput` naming
the field (``widget.primary_color``, ``allowed_origins[1]``).
"""

from __future__ import annotations

import enum
import ipaddress
import re
import secrets
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
from msgspec import UNSET, UnsetType

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.chat import DEFAULT_MAX_CITATIONS, MAX_CITATIONS, AgentUnavailable
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.knowledge import DEFAULT_MIN_RELEVANCE, DEFAULT_TOP_K, RetrievalSettings
from aioomi.domain.model.workspace_state import ensure_workspace_serves

MAX_AGENTS_PER_ACCOUNT = 50

MAX_AGENT_NAME = 100
MAX_SYSTEM_PROMPT = 20_000
MAX_MODEL_NAME = 100
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.0, 2.0
MIN_MAX_TOKENS, MAX_MAX_TOKENS = 1, 16_384
MAX_FALLBACK_MESSAGE = 1_000
MAX_GREETING = 1_000
MAX_STARTER_QUESTIONS = 6
MAX_STARTER_QUESTION = 200
MAX_AGENT_TOP_K = 20
MAX_WIDGET_TITLE = 100
MAX_LAUNCHER_TEXT = 60
MAX_AVATAR_URL = 2_048
MAX_ALLOWED_ORIGINS = 50
MAX_ORIGIN = 300

DEFAULT_MODEL = "gpt-4o"
DEFAULT_TEMPERATURE = 0.3
DEFAULT_MAX_TOKENS = 1_024
DEFAULT_FALLBACK_MESSAGE = "Sorry, I can't find the answer to that in the information I have."
DEFAULT_PRIMARY_COLOR = "#2563eb"

PUBLIC_KEY_PREFIX = "pk_"

MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"

_MODEL = re.compile(MODEL_PATTERN)
_COLOR = re.compile(COLOR_PATTERN)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_UNSAFE_IN_URL = frozenset("\"'<>\\`")


class AnswerMode(enum.StrEnum):
    GROUNDED = "grounded"
    """Answer only from the knowledge base; otherwise reply with the fallback message."""
    ASSISTED = "assisted"
    """Answer from the knowledge base first, and may add general knowledge."""


class AgentStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class WidgetPosition(enum.StrEnum):
    LEFT = "left"
    RIGHT = "right"


class WidgetTheme(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"
    AUTO = "auto"


class WidgetLocale(enum.StrEnum):
    """The language of the widget's own words (buttons, errors); ``auto`` follows the host
    page's ``<html lang>`` (English when it names none of these). The greeting and starter
    questions are the owner's own text, shown as written."""

    AUTO = "auto"
    EN = "en"
    FR = "fr"
    DE = "de"
    ES = "es"
    AR = "ar"


class WidgetStyle(msgspec.Struct, frozen=True, kw_only=True):
    """How the chat widget looks on the owner's site. ``title`` ``None`` shows the agent's
    name; ``launcher_text`` ``None`` shows an icon only."""

    primary_color: str = DEFAULT_PRIMARY_COLOR
    position: WidgetPosition = WidgetPosition.RIGHT
    title: str | None = None
    avatar_url: str | None = None
    theme: WidgetTheme = WidgetTheme.AUTO
    launcher_text: str | None = None
    locale: WidgetLocale = WidgetLocale.AUTO


MAX_REFUSED_ORIGINS = 10
"""Refused origins kept per agent (the newest): enough to show the owner, bounded for floods."""


def _parts(origin: str) -> tuple[str, str, int | None]:
    scheme, _, rest = origin.partition("://")
    if rest.startswith("["):
        host, _, tail = rest.partition("]")
        host, port = host + "]", tail.removeprefix(":")
    else:
        host, _, port = rest.partition(":")
    return scheme.lower(), host.lower(), int(port) if port.isdigit() else None


def near_misses(origin: str, allowed: tuple[str, ...] | list[str]) -> list[str]:
    """Why an allowed origin almost matches ``origin``: the common slips, in words."""
    scheme, host, port = _parts(origin)
    loopback = {"localhost", "127.0.0.1", "[::1]"}
    found = []
    for other in allowed:
        o_scheme, o_host, o_port = _parts(other)
        if o_host == host and o_scheme == scheme and o_port != port:
            found.append(f"{other} differs only in the port")
        elif o_host == host and o_scheme != scheme:
            found.append(f"{other} differs only in the scheme ({o_scheme} instead of {scheme})")
        elif o_host != host and o_host.removeprefix("www.") == host.removeprefix("www."):
            found.append(f'{other} differs only in the "www."')
        elif o_host in loopback and host in loopback and o_host != host:
            found.append(f"{other} is the same machine under another name ({o_host} is not {host} for the browser)")
    return found


def refusal_message(origin: str | None, allowed: tuple[str, ...] | list[str]) -> str:
    """What the widget logs when the page's origin is not allowed: the origin to add, and the
    near misses among those listed."""
    if origin is None:
        return "The page's origin could not be read; the widget runs only on pages whose origin is allowed."
    message = f"This page's origin {origin} is not in the assistant's allowed origins: add it in the dashboard."
    misses = near_misses(origin, allowed)
    if misses:
        message += " Close, but not the same: " + "; ".join(misses) + "."
    elif not allowed:
        message += " The assistant has no allowed origin yet."
    return message


class RefusedOrigin(msgspec.Struct, frozen=True, kw_only=True):
    """A page origin the widget was refused on (not in ``allowed_origins``), for the owner."""

    account_id: str
    agent_id: str
    origin: str
    first_seen_at: datetime
    last_seen_at: datetime
    hits: int = 1


class AgentRetrieval(msgspec.Struct, frozen=True, kw_only=True):
    """How much of the knowledge base a question brings into the prompt: at most the ``top_k``
    best chunks, only those whose relevance reaches ``min_relevance`` ("how sure must the
    assistant be", 0–1 on the embedding model's calibrated scale: 0.5 is the measured gate,
    higher is stricter), and citations of at most ``max_citations`` documents."""

    top_k: int = DEFAULT_TOP_K
    min_relevance: float = DEFAULT_MIN_RELEVANCE
    max_citations: int = DEFAULT_MAX_CITATIONS

    def search_settings(self) -> RetrievalSettings:
        """The settings to pass to a knowledge-base search."""
        return RetrievalSettings(top_k=self.top_k)


class AgentSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the owner chooses about an agent (everything but its identity and key)."""

    name: str
    system_prompt: str = ""
    model: str = DEFAULT_MODEL
    temperature: float = DEFAULT_TEMPERATURE
    max_tokens: int = DEFAULT_MAX_TOKENS
    answer_mode: AnswerMode = AnswerMode.GROUNDED
    fallback_message: str = DEFAULT_FALLBACK_MESSAGE
    retrieval: AgentRetrieval = msgspec.field(default_factory=AgentRetrieval)
    greeting: str | None = None
    starter_questions: tuple[str, ...] = ()
    widget: WidgetStyle = msgspec.field(default_factory=WidgetStyle)
    allowed_origins: tuple[str, ...] = ()
    """Exact origins (scheme, host, port) the widget may run on; none until the owner sets them."""
    status: AgentStatus = AgentStatus.ACTIVE


class Agent(AgentSettings, frozen=True, kw_only=True):
    """An agent: its settings plus who owns it, its public widget key and the embedding model
    its knowledge base is embedded with (fixed when it is created)."""

    id: str
    account_id: str
    public_key: str
    embedding_model: str
    created_at: datetime
    updated_at: datetime

    @property
    def settings(self) -> AgentSettings:
        return AgentSettings(**{name: getattr(self, name) for name in AgentSettings.__struct_fields__})

    def with_settings(self, settings: AgentSettings, *, at: datetime) -> Agent:
        return msgspec.structs.replace(self, **msgspec.structs.asdict(settings), updated_at=at)


class AgentName(msgspec.Struct, frozen=True, kw_only=True):
    """An agent by id and name only: what a role that reads conversations but not the agents'
    settings (support) sees of them, to pick an agent's conversations."""

    id: str
    name: str


class WidgetAgent(msgspec.Struct, frozen=True, kw_only=True):
    """The agent a widget key names, its key and origin checked, with the account statuses of
    its workspace's owners (one per owner; none when no owner's account is left).
    :meth:`serving` completes the checks; the HTTP layer grants CORS in between, so a browser
    can read why a paused agent refuses."""

    agent: Agent
    owner_statuses: tuple[AccountStatus, ...]

    def serving(self) -> Agent:
        """The agent, if it answers visitors: active (else ``agent_paused``) and its workspace
        serving (:func:`~aioomi.domain.model.workspace_state.workspace_status`: at least one
        owner active; else ``agent_restricted``)."""
        if self.agent.status is not AgentStatus.ACTIVE:
            raise AgentUnavailable("This assistant is paused by its owner.")
        ensure_workspace_serves(self.owner_statuses)
        return self.agent


# --- partial changes ---------------------------------------------------------------------------


class WidgetChanges(msgspec.Struct, frozen=True, kw_only=True):
    """Fields left ``UNSET`` stay as they are."""

    primary_color: str | UnsetType = UNSET
    position: WidgetPosition | UnsetType = UNSET
    title: str | None | UnsetType = UNSET
    avatar_url: str | None | UnsetType = UNSET
    theme: WidgetTheme | UnsetType = UNSET
    launcher_text: str | None | UnsetType = UNSET
    locale: WidgetLocale | UnsetType = UNSET


class RetrievalChanges(msgspec.Struct, frozen=True, kw_only=True):
    top_k: int | UnsetType = UNSET
    min_relevance: float | UnsetType = UNSET
    max_citations: int | UnsetType = UNSET


class AgentChanges(msgspec.Struct, frozen=True, kw_only=True):
    """A partial update: fields left ``UNSET`` (and the unset fields of ``widget`` and
    ``retrieval``) stay as they are; ``None`` clears a field that may be empty."""

    name: str | UnsetType = UNSET
    system_prompt: str | UnsetType = UNSET
    model: str | UnsetType = UNSET
    temperature: float | UnsetType = UNSET
    max_tokens: int | UnsetType = UNSET
    answer_mode: AnswerMode | UnsetType = UNSET
    fallback_message: str | UnsetType = UNSET
    retrieval: RetrievalChanges | UnsetType = UNSET
    greeting: str | None | UnsetType = UNSET
    starter_questions: tuple[str, ...] | UnsetType = UNSET
    widget: WidgetChanges | UnsetType = UNSET
    allowed_origins: tuple[str, ...] | UnsetType = UNSET
    status: AgentStatus | UnsetType = UNSET


def _merge(current: msgspec.Struct, changes: msgspec.Struct) -> msgspec.Struct:
    updates = {}
    for name in changes.__struct_fields__:
        value = getattr(changes, name)
        if value is UNSET:
            continue
        if isinstance(value, (WidgetChanges, RetrievalChanges)):
            value = _merge(getattr(current, name), value)
        updates[name] = value
    return msgspec.structs.replace(current, **updates)


def apply_changes(settings: AgentSettings, changes: AgentChanges) -> AgentSettings:
    """``settings`` with ``changes`` applied (not yet checked: see :func:`check_agent_settings`)."""
    merged = _merge(settings, changes)
    assert isinstance(merged, AgentSettings)
    return merged


# --- rules -------------------------------------------------------------------------------------


def _invalid(field: str, detail: str, code: str = "invalid_agent_setting") -> InvalidInput:
    return InvalidInput(detail, code=code, field=field)


def _has_control(text: str, *, allow_newlines: bool) -> bool:
    allowed = "\t\n\r" if allow_newlines else ""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _text(raw: str, field: str, *, max_len: int, min_len: int = 0, multiline: bool = False, strip: bool = True) -> str:
    text = raw.strip() if strip else raw
    if len(text) < min_len:
        raise _invalid(field, "This field cannot be empty." if min_len == 1 else f"Use at least {min_len} characters.")
    if len(text) > max_len:
        raise _invalid(field, f"Use at most {max_len:,} characters.")
    if _has_control(text, allow_newlines=multiline):
        raise _invalid(field, "The text contains control characters.")
    return text


def _optional_text(raw: str | None, field: str, *, max_len: int, multiline: bool = False) -> str | None:
    if raw is None:
        return None
    return _text(raw, field, max_len=max_len, multiline=multiline) or None


def check_model_name(raw: str, field: str = "model") -> str:
    model = raw.strip()
    if not 1 <= len(model) <= MAX_MODEL_NAME or not _MODEL.match(model):
        raise _invalid(field, "Name a model such as gpt-4o: letters, digits and . _ : / - only.")
    return model


def check_color(raw: str, field: str = "widget.primary_color") -> str:
    if not _COLOR.fullmatch(raw):
        raise _invalid(field, "Use a colour of the form #rrggbb, such as #2563eb.")
    return raw.lower()


def check_avatar_url(raw: str | None, field: str = "widget.avatar_url") -> str | None:
    """An ``https://`` address of an image, or ``None``. Any other scheme (``http:``,
    ``data:``, ``javascript:``), credentials in the URL, whitespace or quote characters are refused."""
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    invalid = _invalid(field, "Use an https:// address for the avatar.", code="invalid_avatar_url")
    if (
        len(url) > MAX_AVATAR_URL
        or any(c.isspace() or c in _UNSAFE_IN_URL for c in url)
        or _has_control(url, allow_newlines=False)
    ):
        raise invalid
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when the port is not a number in range
    except ValueError:
        raise invalid from None
    if parts.scheme.lower() != "https" or not parts.hostname or "@" in parts.netloc:
        raise invalid
    return url


def _host(raw: str, invalid: InvalidInput) -> str:
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise invalid
        try:
            address = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise invalid from None
        return f"[{address.compressed}]"
    if not raw or raw.endswith("."):
        raise invalid
    if re.fullmatch(r"[0-9.]+", raw):
        try:
            return str(ipaddress.IPv4Address(raw))
        except ValueError:
            raise invalid from None
    try:
        host = raw.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise invalid from None
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in host.split(".")):
        raise invalid
    return host


def normalize_origin(raw: str, field: str = "allowed_origins") -> str:
    """The canonical form of a web origin, as browsers send it in the ``Origin`` header:
    ``scheme://host[:port]``, lower-case, the default port dropped, the host in ASCII.

    Refused: other schemes than http and https, paths (a single trailing ``/`` is dropped),
    queries, fragments, user names or passwords, wildcards. Loopback origins
    (``http://localhost:3000``) are accepted; the widget decides when it honours them.
    """
    value = raw.strip()
    example = "Enter an origin such as https://shop.example.com or http://localhost:3000."
    if (
        not value
        or len(value) > MAX_ORIGIN
        or any(c.isspace() for c in value)
        or _has_control(value, allow_newlines=False)
    ):
        raise _invalid(field, example, code="invalid_origin")
    if "*" in value:
        raise _invalid(field, "Wildcards are not allowed: list each origin.", code="invalid_origin")
    scheme, separator, rest = value.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        raise _invalid(field, f"An origin starts with https:// or http://. {example}", code="invalid_origin")
    if rest.endswith("/"):
        rest = rest[:-1]
    if any(c in rest for c in "/?#\\"):
        raise _invalid(
            field, "An origin has no path, query or fragment: only the scheme, host and port.", code="invalid_origin"
        )
    if "@" in rest:
        raise _invalid(field, "An origin has no user name or password.", code="invalid_origin")
    invalid = _invalid(field, f"The host or port is not valid. {example}", code="invalid_origin")
    if rest.startswith("["):
        end = rest.find("]")
        host_part, port_part = rest[: end + 1], rest[end + 1 :]
        if port_part and not port_part.startswith(":"):
            raise invalid
        port_part = port_part[1:] if port_part else ""
        has_port = bool(rest[end + 1 :])
    else:
        host_part, has_colon, port_part = rest.partition(":")
        has_port = bool(has_colon)
    host = _host(host_part, invalid)
    port: int | None = None
    if has_port:
        if not port_part.isascii() or not port_part.isdigit() or not 1 <= int(port_part) <= 65535:
            raise invalid
        port = int(port_part)
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def is_loopback_origin(origin: str) -> bool:
    """Whether a normalised origin is on this machine (``localhost``, ``127.0.0.1``, ``[::1]``)."""
    authority = origin.partition("://")[2]
    host = authority[: authority.find("]") + 1] if authority.startswith("[") else authority.partition(":")[0]
    return host in _LOOPBACK_HOSTS


def check_allowed_origins(origins: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Each origin normalised (see :func:`normalize_origin`), duplicates dropped, order kept."""
    if len(origins) > MAX_ALLOWED_ORIGINS:
        raise _invalid("allowed_origins", f"List at most {MAX_ALLOWED_ORIGINS} origins.", code="invalid_origin")
    normalised = [normalize_origin(origin, f"allowed_origins[{i}]") for i, origin in enumerate(origins)]
    return tuple(dict.fromkeys(normalised))


def check_starter_questions(questions: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if len(questions) > MAX_STARTER_QUESTIONS:
        raise _invalid("starter_questions", f"Offer at most {MAX_STARTER_QUESTIONS} starter questions.")
    checked = [
        _text(q, f"starter_questions[{i}]", min_len=1, max_len=MAX_STARTER_QUESTION) for i, q in enumerate(questions)
    ]
    return tuple(dict.fromkeys(checked))


def check_retrieval(retrieval: AgentRetrieval) -> AgentRetrieval:
    if not 1 <= retrieval.top_k <= MAX_AGENT_TOP_K:
        raise _invalid("retrieval.top_k", f"top_k must be between 1 and {MAX_AGENT_TOP_K}.")
    if not 0.0 <= retrieval.min_relevance <= 1.0:  # also refuses NaN
        raise _invalid("retrieval.min_relevance", "min_relevance must be between 0 and 1.")
    if not 1 <= retrieval.max_citations <= MAX_CITATIONS:
        raise _invalid("retrieval.max_citations", f"max_citations must be between 1 and {MAX_CITATIONS}.")
    return retrieval


def check_widget(widget: WidgetStyle) -> WidgetStyle:
    return WidgetStyle(
        primary_color=check_color(widget.primary_color),
        position=WidgetPosition(widget.position),
        title=_optional_text(widget.title, "widget.title", max_len=MAX_WIDGET_TITLE),
        avatar_url=check_avatar_url(widget.avatar_url),
        theme=WidgetTheme(widget.theme),
        launcher_text=_optional_text(widget.launcher_text, "widget.launcher_text", max_len=MAX_LAUNCHER_TEXT),
        locale=WidgetLocale(widget.locale),
    )


def check_agent_settings(settings: AgentSettings) -> AgentSettings:
    """The settings normalised (trimmed text, lower-case colour, canonical origins), or
    :class:`InvalidInput` naming the first field that breaks a rule:

    - name 1–100 characters; system prompt up to 20,000; no control characters (prompts and
      messages may hold line breaks);
    - model a plain model name (default ``gpt-4o``); temperature 0–2; max tokens 1–16,384;
    - fallback message 1–1,000 characters (what a grounded agent says when the knowledge base
      has no answer); greeting up to 1,000, or none;
    - retrieval: top_k 1–20, min_relevance 0–1, max_citations 1–10;
    - up to 6 starter questions of 1–200 characters, duplicates dropped;
    - widget: colour ``#rrggbb``; avatar an ``https://`` URL or none; title up to 100
      characters, launcher text up to 60;
    - up to 50 allowed origins, each an exact origin (:func:`normalize_origin`).
    """
    if (
        not isinstance(settings.temperature, (int, float))
        or not MIN_TEMPERATURE <= settings.temperature <= MAX_TEMPERATURE
    ):
        raise _invalid("temperature", f"temperature must be between {MIN_TEMPERATURE:g} and {MAX_TEMPERATURE:g}.")
    if not MIN_MAX_TOKENS <= settings.max_tokens <= MAX_MAX_TOKENS:
        raise _invalid("max_tokens", f"max_tokens must be between {MIN_MAX_TOKENS} and {MAX_MAX_TOKENS:,}.")
    return AgentSettings(
        name=_text(settings.name, "name", min_len=1, max_len=MAX_AGENT_NAME),
        system_prompt=_text(
            settings.system_prompt, "system_prompt", max_len=MAX_SYSTEM_PROMPT, multiline=True, strip=False
        ),
        model=check_model_name(settings.model),
        temperature=float(settings.temperature),
        max_tokens=settings.max_tokens,
        answer_mode=AnswerMode(settings.answer_mode),
        fallback_message=_text(
            settings.fallback_message, "fallback_message", min_len=1, max_len=MAX_FALLBACK_MESSAGE, multiline=True
        ),
        retrieval=check_retrieval(settings.retrieval),
        greeting=_optional_text(settings.greeting, "greeting", max_len=MAX_GREETING, multiline=True),
        starter_questions=check_starter_questions(settings.starter_questions),
        widget=check_widget(settings.widget),
        allowed_origins=check_allowed_origins(settings.allowed_origins),
        status=AgentStatus(settings.status),
    )


def new_public_key() -> str:
    """A fresh public widget key (``pk_…``): random, unguessable, safe to embed in a web page."""
    return PUBLIC_KEY_PREFIX + secrets.token_urlsafe(24)


class AgentNotFound(NotFound):
    code = "agent_not_found"
    title = "Agent not found"


class TooManyAgents(InvalidInput):
    code = "too_many_agents"
    title = "Too many agents"
