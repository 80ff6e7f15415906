"""CancelHandoff: the visitor stops waiting for a person."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.handoff import HandoffAction, HandoffEvent
from aioomi.domain.usecases.handoff.support import move, retrying, visitor_session
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CancelHandoff:
    """The visitor's waiting conversation goes back to the assistant.

    Rules: only the visitor's own session (``session_not_found``); only while ``waiting``
    (``handoff_invalid_transition``: once a person holds it, that person hands it back);
    a ``cancelled`` event tells the owner's inbox."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, agent: Agent, visitor_id: str, session_id: str) -> HandoffEvent:
        async def attempt() -> HandoffEvent:
            async with self._uow(account_id=agent.account_id) as uow:
                session = await visitor_session(uow, agent, session_id, visitor_id)
                event = await move(uow, session, HandoffAction.CANCEL, self._clock.now())
                await uow.commit()
            return event

        return await retrying(attempt)
