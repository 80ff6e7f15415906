"""GetHandoffAvailability: whether the widget offers a person, and whether one is there now."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.handoff import closed_message, is_open
from aioomi.domain.usecases.handoff.support import settings_of
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class HandoffAvailability(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool
    open_now: bool
    message: str | None = None
    """What the visitor is told when the office is closed (``None`` when open or disabled)."""


class GetHandoffAvailability:
    """For the widget: whether "Talk to a person" is shown (the agent's setting) and whether
    the office is open now (its office hours in its time zone); when closed, the plain words
    the visitor is told."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, agent: Agent) -> HandoffAvailability:
        async with self._uow(account_id=agent.account_id) as uow:
            settings = await settings_of(uow, agent.account_id, agent.id)
        if not settings.enabled:
            return HandoffAvailability(enabled=False, open_now=False)
        open_now = is_open(settings, self._clock.now())
        return HandoffAvailability(
            enabled=True, open_now=open_now, message=None if open_now else closed_message(settings)
        )
