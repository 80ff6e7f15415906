"""ReadVisitorHandoff: the visitor's view of their conversation's handoff: its state and the
events after the last one they saw."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage
from aioomi.domain.model.handoff import Handoff, HandoffEvent, expired_message, handoff_of
from aioomi.domain.usecases.handoff.support import EVENTS_PAGE, expire_if_stale, settings_of, visitor_session
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class HandoffFeed(msgspec.Struct, frozen=True, kw_only=True):
    """A conversation's handoff state and a page of its events after the one asked from; the
    plain words shown when the wait ran out."""

    handoff: Handoff
    events: list[tuple[HandoffEvent, ChatMessage | None]]
    expired_message: str


class ReadVisitorHandoff:
    """The state and the events numbered above ``after`` (at most 100 a call) of the visitor's
    own session (``session_not_found`` for anyone else's).

    Rules: a conversation waiting longer than the agent's maximum wait goes back to the
    assistant first (an ``expired`` event, which the visitor's stream shows with the plain
    words of :func:`~aioomi.domain.model.handoff.expired_message`). One short read per call:
    a stream calls it on a timer and holds no connection in between."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, agent: Agent, visitor_id: str, session_id: str, after: int) -> HandoffFeed:
        async with self._uow(account_id=agent.account_id) as uow:
            session = await visitor_session(uow, agent, session_id, visitor_id)
            settings = await settings_of(uow, agent.account_id, agent.id)
        session = await expire_if_stale(self._uow, session, settings, self._clock.now())
        async with self._uow(account_id=agent.account_id) as uow:
            events = (
                await uow.handoffs.events_after(agent.account_id, session.id, after, limit=EVENTS_PAGE)
                if after < session.handoff_seq
                else []
            )
        return HandoffFeed(handoff=handoff_of(session), events=events, expired_message=expired_message(settings))
