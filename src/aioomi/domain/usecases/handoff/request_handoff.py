"""RequestHandoff: a visitor asks to talk to a person."""

from __future__ import annotations

import enum

import msgspec

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.handoff import (
    HandoffAction,
    HandoffDisabled,
    HandoffNotOffered,
    HandoffState,
    closed_message,
    fell_back_twice,
    is_open,
)
from aioomi.domain.usecases.handoff.support import move, retrying, settings_of, visitor_session
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class HandoffReason(enum.StrEnum):
    ASKED = "asked"
    """The visitor pressed "Talk to a person"."""
    FALLBACK = "fallback"
    """The visitor accepted the offer made after two fallbacks in a row."""


class HandoffRequested(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome: the conversation's state and last event number, and, when no one can be
    asked (office closed), the plain words the visitor is told."""

    state: HandoffState
    seq: int
    available: bool
    message: str | None = None


class RequestHandoff:
    """The visitor asks for a person in their session.

    Rules:
    - the agent's handoff setting must be on (``handoff_disabled``);
    - the session must be the visitor's own with this agent (``session_not_found``);
    - reason ``fallback`` only after the assistant's last two answers were both its fallback
      (``handoff_not_offered``);
    - outside office hours nothing changes: the visitor is told plainly when someone is there
      (``available: false``), and the widget offers the lead form;
    - otherwise ``assistant`` → ``waiting`` (``handoff_invalid_transition`` when a person is
      already asked for or holds it), with a ``requested`` event and the owner's e-mail
      enqueued in the same unit of work.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, agent: Agent, visitor_id: str, session_id: str, reason: HandoffReason = HandoffReason.ASKED
    ) -> HandoffRequested:
        async def attempt() -> HandoffRequested:
            now = self._clock.now()
            async with self._uow(account_id=agent.account_id) as uow:
                settings = await settings_of(uow, agent.account_id, agent.id)
                if not settings.enabled:
                    raise HandoffDisabled("This assistant does not hand conversations to a person.")
                session = await visitor_session(uow, agent, session_id, visitor_id)
                if reason is HandoffReason.FALLBACK:
                    messages = await uow.chat_messages.list_for_session(agent.account_id, session.id, last=20)
                    if not fell_back_twice(messages):
                        raise HandoffNotOffered("A person is offered after two answers the assistant could not give.")
                if not is_open(settings, now):
                    return HandoffRequested(
                        state=session.handoff,
                        seq=session.handoff_seq,
                        available=False,
                        message=closed_message(settings),
                    )
                event = await move(uow, session, HandoffAction.REQUEST, now)
                await uow.commit()
            return HandoffRequested(state=event.state, seq=event.seq, available=True)

        return await retrying(attempt)
