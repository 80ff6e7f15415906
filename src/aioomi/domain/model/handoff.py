"""Live handoff: a visitor's conversation handed from the assistant to a person and back.

A conversation (a chat session) is in one of three states:

- ``assistant`` (the default): the assistant answers;
- ``waiting``: the visitor asked for a person (or accepted the offer after two fallbacks in a
  row); nobody holds it yet; the assistant is silent;
- ``with_human``: an owner took it; the owner's replies reach the visitor; the assistant is
  silent.

The allowed moves are :data:`TRANSITIONS`; anything else is :class:`HandoffTransitionRefused`.
Every move and every message while a person is involved is a :class:`HandoffEvent` numbered
in the conversation (``seq`` 1, 2, 3 …): the numbers are what a stream resumes from
(``Last-Event-ID``), so nothing is lost or doubled on reconnect.

Office hours (:class:`HandoffSettings`) are an IANA time zone, days of the week and a daily
window; outside them, or after ``max_wait_s`` in ``waiting`` with no one taking it, the
visitor is told plainly (:func:`closed_message`, :func:`expired_message`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import msgspec

from aioomi.domain.model.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from aioomi.domain.model.chat import ChatMessage, ChatSession


class HandoffState(enum.StrEnum):
    ASSISTANT = "assistant"
    WAITING = "waiting"
    WITH_HUMAN = "with_human"


class HandoffAction(enum.StrEnum):
    REQUEST = "request"
    """The visitor asks for a person."""
    TAKE = "take"
    """An owner takes the waiting conversation."""
    HAND_BACK = "hand_back"
    """An owner gives the conversation back to the assistant (or declines a waiting one)."""
    EXPIRE = "expire"
    """No one took the waiting conversation within the agent's maximum wait."""
    CANCEL = "cancel"
    """The visitor stops waiting."""


class HandoffEventKind(enum.StrEnum):
    REQUESTED = "requested"
    TAKEN = "taken"
    ENDED = "ended"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    MESSAGE = "message"


TRANSITIONS: dict[tuple[HandoffState, HandoffAction], HandoffState] = {
    (HandoffState.ASSISTANT, HandoffAction.REQUEST): HandoffState.WAITING,
    (HandoffState.WAITING, HandoffAction.TAKE): HandoffState.WITH_HUMAN,
    (HandoffState.WAITING, HandoffAction.HAND_BACK): HandoffState.ASSISTANT,
    (HandoffState.WAITING, HandoffAction.EXPIRE): HandoffState.ASSISTANT,
    (HandoffState.WAITING, HandoffAction.CANCEL): HandoffState.ASSISTANT,
    (HandoffState.WITH_HUMAN, HandoffAction.HAND_BACK): HandoffState.ASSISTANT,
}
"""Every allowed move: (state, action) → new state. Nothing else is allowed."""

EVENT_OF: dict[HandoffAction, HandoffEventKind] = {
    HandoffAction.REQUEST: HandoffEventKind.REQUESTED,
    HandoffAction.TAKE: HandoffEventKind.TAKEN,
    HandoffAction.HAND_BACK: HandoffEventKind.ENDED,
    HandoffAction.EXPIRE: HandoffEventKind.EXPIRED,
    HandoffAction.CANCEL: HandoffEventKind.CANCELLED,
}

HELD = frozenset({HandoffState.WAITING, HandoffState.WITH_HUMAN})
"""The states in which a person is involved and the assistant stays silent."""


# --- errors ------------------------------------------------------------------------------------


class HandoffTransitionRefused(Conflict):
    code = "handoff_invalid_transition"
    title = "The conversation cannot make this move now"


class HandoffDisabled(Conflict):
    code = "handoff_disabled"
    title = "This assistant does not hand conversations to a person"


class HandoffNotOffered(Conflict):
    code = "handoff_not_offered"
    title = "A person was not offered in this conversation"


class HandoffNotActive(Conflict):
    code = "handoff_not_active"
    title = "No person is involved in this conversation"


class ConversationWithPerson(Conflict):
    """A message for the assistant in a conversation a person holds (or is asked to hold):
    the assistant stays silent; the message goes to the person's thread instead."""

    code = "handoff_active"
    title = "A person is handling this conversation"


class HandoffChanged(Conflict):
    """The conversation moved while this change was being made (another message or move came
    first); the change was not made."""

    code = "handoff_changed"
    title = "The conversation changed meanwhile; try again"


# --- the entity --------------------------------------------------------------------------------


class Handoff(msgspec.Struct, frozen=True, kw_only=True):
    """A conversation's handoff state: where it is, the number of its last event, when a
    person was asked for and when one took it (both ``None`` in ``assistant``)."""

    state: HandoffState = HandoffState.ASSISTANT
    seq: int = 0
    requested_at: datetime | None = None
    taken_at: datetime | None = None

    @property
    def held(self) -> bool:
        return self.state in HELD

    def apply(self, action: HandoffAction, at: datetime) -> Handoff:
        """The state after ``action`` at ``at``, with the next event number; a move that
        :data:`TRANSITIONS` does not allow raises :class:`HandoffTransitionRefused` (and
        changes nothing)."""
        target = TRANSITIONS.get((self.state, action))
        if target is None:
            raise HandoffTransitionRefused(
                _REFUSALS.get(action, "This move is not possible now.")
                + f" (the conversation is {self.state.value.replace('_', ' ')})."
            )
        return Handoff(
            state=target,
            seq=self.seq + 1,
            requested_at=at
            if target is HandoffState.WAITING
            else (self.requested_at if target is HandoffState.WITH_HUMAN else None),
            taken_at=at if target is HandoffState.WITH_HUMAN else None,
        )

    def with_message(self) -> Handoff:
        """The state after a message in a held conversation (the next event number); a message
        outside a handoff raises :class:`HandoffNotActive`."""
        if not self.held:
            raise HandoffNotActive("No person is involved in this conversation now.")
        return msgspec.structs.replace(self, seq=self.seq + 1)


_REFUSALS = {
    HandoffAction.REQUEST: "A person was already asked for.",
    HandoffAction.TAKE: "Only a waiting conversation can be taken.",
    HandoffAction.HAND_BACK: "Only a conversation a person is asked for or holds can be handed back.",
    HandoffAction.EXPIRE: "Only a waiting conversation can run out of time.",
    HandoffAction.CANCEL: "Only a waiting conversation can stop waiting.",
}


def handoff_of(session: ChatSession) -> Handoff:
    """The handoff state a chat session carries."""
    return Handoff(
        state=session.handoff,
        seq=session.handoff_seq,
        requested_at=session.handoff_requested_at,
        taken_at=session.handoff_taken_at,
    )


def with_handoff(session: ChatSession, handoff: Handoff) -> ChatSession:
    return msgspec.structs.replace(
        session,
        handoff=handoff.state,
        handoff_seq=handoff.seq,
        handoff_requested_at=handoff.requested_at,
        handoff_taken_at=handoff.taken_at,
    )


class HandoffEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One numbered event of a conversation's handoff: a move (with the state after it) or a
    message (its id; the message itself is a chat message of the conversation)."""

    account_id: str
    session_id: str
    seq: int
    kind: HandoffEventKind
    state: HandoffState
    created_at: datetime
    message_id: str | None = None


def check_after(raw: str | None) -> int:
    """A ``Last-Event-ID`` (the last event a client saw): a whole number 0–10¹²; absent → 0."""
    if raw is None or raw.strip() == "":
        return 0
    text = raw.strip()
    if not text.isdigit() or len(text) > 12:
        raise InvalidInput(
            "Last-Event-ID must be the number of an event.", code="invalid_last_event_id", field="Last-Event-ID"
        )
    return int(text)


# --- the fallback offer ------------------------------------------------------------------------


def fell_back_twice(messages: Sequence[ChatMessage]) -> bool:
    """True when the assistant's last two answers in the conversation were both its fallback
    (no source answered): the moment the widget offers a person."""
    from aioomi.domain.model.chat import MessageStatus, Role

    answers = [m for m in messages if m.role is Role.ASSISTANT]
    return len(answers) >= 2 and all(m.status is MessageStatus.UNANSWERED for m in answers[-2:])


# --- office hours and waiting ------------------------------------------------------------------


class Weekday(enum.StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEK: tuple[Weekday, ...] = tuple(Weekday)
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MIN_WAIT_S, MAX_WAIT_S = 30, 3_600
DEFAULT_WAIT_S = 300


class HandoffSettings(msgspec.Struct, frozen=True, kw_only=True):
    """An agent's handoff settings: whether the widget offers a person, the office hours (an
    IANA time zone, days, a daily window ``opens``–``closes`` in that zone's local time,
    ``closes`` after ``opens``; ``24:00`` for the end of the day) and how long a visitor waits
    before being told no one is available."""

    enabled: bool = False
    time_zone: str = "UTC"
    days: tuple[Weekday, ...] = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
    opens: str = "09:00"
    closes: str = "17:00"
    max_wait_s: int = DEFAULT_WAIT_S


class HandoffSettingsChanges(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    time_zone: str | msgspec.UnsetType = msgspec.UNSET
    days: tuple[Weekday, ...] | msgspec.UnsetType = msgspec.UNSET
    opens: str | msgspec.UnsetType = msgspec.UNSET
    closes: str | msgspec.UnsetType = msgspec.UNSET
    max_wait_s: int | msgspec.UnsetType = msgspec.UNSET


def _minutes(raw: str, field: str) -> int:
    match = _HH_MM.match(raw)
    if match is None:
        raise InvalidInput("A time of day is written HH:MM (00:00 to 24:00).", code="invalid_office_hours", field=field)
    return 24 * 60 if raw == "24:00" else int(match.group(1)) * 60 + int(match.group(2))


def check_time_zone(raw: str) -> str:
    """An IANA time zone name known to this system's tz database (``Europe/Paris``, ``UTC``)."""
    if len(raw) > 64 or raw not in _zones():
        raise InvalidInput(
            "The time zone must be an IANA name such as Europe/Paris.", code="invalid_time_zone", field="time_zone"
        )
    return raw


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def check_handoff_settings(settings: HandoffSettings) -> HandoffSettings:
    """Rules: a known IANA time zone; days without repeats (kept in week order); ``opens`` and
    ``closes`` as HH:MM with ``opens`` before ``closes``; a maximum wait of 30 s to 1 h."""
    check_time_zone(settings.time_zone)
    if len(set(settings.days)) != len(settings.days):
        raise InvalidInput("Each day is listed once.", code="invalid_office_hours", field="days")
    if _minutes(settings.opens, "opens") >= _minutes(settings.closes, "closes"):
        raise InvalidInput(
            "The office opens before it closes (use 24:00 for the end of the day).",
            code="invalid_office_hours",
            field="closes",
        )
    if not MIN_WAIT_S <= settings.max_wait_s <= MAX_WAIT_S:
        raise InvalidInput(
            f"The maximum wait is {MIN_WAIT_S} to {MAX_WAIT_S} seconds.", code="invalid_max_wait", field="max_wait_s"
        )
    return msgspec.structs.replace(settings, days=tuple(d for d in WEEK if d in settings.days))


def change_settings(current: HandoffSettings, changes: HandoffSettingsChanges) -> HandoffSettings:
    updates = {
        name: value
        for name in HandoffSettingsChanges.__struct_fields__
        if (value := getattr(changes, name)) is not msgspec.UNSET
    }
    return check_handoff_settings(msgspec.structs.replace(current, **updates))


def is_open(settings: HandoffSettings, now: datetime) -> bool:
    """Whether ``now`` (an aware instant) falls in the office hours: its local time in the
    settings' zone is on one of the days and within ``[opens, closes)``."""
    try:
        local = now.astimezone(ZoneInfo(settings.time_zone))
    except ZoneInfoNotFoundError:
        return False
    minute = local.hour * 60 + local.minute
    return WEEK[local.weekday()] in settings.days and _minutes(settings.opens, "opens") <= minute < _minutes(
        settings.closes, "closes"
    )


def wait_expired(handoff: Handoff, settings: HandoffSettings, now: datetime) -> bool:
    """A waiting conversation no one took within the maximum wait."""
    return (
        handoff.state is HandoffState.WAITING
        and handoff.requested_at is not None
        and now - handoff.requested_at >= timedelta(seconds=settings.max_wait_s)
    )


def _hours_in_words(settings: HandoffSettings) -> str:
    if not settings.days:
        return "our team is not taking conversations at the moment"
    days = ", ".join(d.value.capitalize() for d in settings.days)
    return f"our team answers on {days}, {settings.opens}–{settings.closes} ({settings.time_zone})"


def closed_message(settings: HandoffSettings) -> str:
    """What a visitor who asks for a person outside office hours is told."""
    return f"No one is available right now: {_hours_in_words(settings)}. The assistant can keep helping you meanwhile."


def expired_message(settings: HandoffSettings) -> str:
    """What a visitor is told when no one took the conversation in time."""
    minutes = max(1, round(settings.max_wait_s / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Sorry, no one was available to take your conversation within {minutes} {unit}. "
        "The assistant is back and can keep helping you."
    )
