"""OpenWidget: The agent a widget key names, for a request from ``origin``."""

from __future__ import annotations

from aioomi.domain.model.agents import Agent, AgentNotFound, WidgetAgent, normalize_origin, refusal_message
from aioomi.domain.model.chat import OriginNotAllowed
from aioomi.domain.model.errors import InvalidInput
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class OpenWidget:
    """The agent a widget key names, for a request from ``origin``.

    Rules: an unknown key is ``agent_not_found``; the request's ``Origin`` must be one of the
    agent's allowed origins, exactly (``origin_not_allowed``; none are allowed until the owner
    lists some, and a request without ``Origin`` is refused too); a refused page origin (a
    well-formed one) is recorded for the owner, who can allow it from the dashboard. The answer,
    a :class:`WidgetAgent`, completes the checks with :meth:`WidgetAgent.serving`: a paused
    agent answers ``agent_paused``, a workspace that does not serve (no owner active: every owner
    restricted, or being erased) ``agent_restricted`` (the
    HTTP layer grants CORS in between, so a browser can read why a paused agent refuses).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock | None = None) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, public_key: str, origin: str | None) -> WidgetAgent:
        async with self._uow(account_id=None, read_only=True) as uow:
            found = await uow.agents.find_by_public_key_with_owner(public_key) if public_key.startswith("pk_") else None
        if found is None:
            raise AgentNotFound("No assistant has this key; check the snippet on your site.")
        agent, owner_statuses = found
        try:
            check_origin(agent, origin)
        except OriginNotAllowed:
            await self._record_refused(agent, origin)
            raise
        return WidgetAgent(agent=agent, owner_statuses=tuple(owner_statuses))

    async def _record_refused(self, agent: Agent, origin: str | None) -> None:
        try:
            normalised = normalize_origin(origin or "")
        except InvalidInput:
            return
        if normalised is None or self._clock is None:
            return
        async with self._uow(account_id=agent.account_id) as uow:
            await uow.agents.record_refused_origin(agent, normalised, self._clock.now())
            await uow.commit()


def check_origin(agent: Agent, origin: str | None) -> str:
    try:
        normalised = normalize_origin(origin or "")
    except InvalidInput:
        normalised = None
    if normalised is None or normalised not in agent.allowed_origins:
        raise OriginNotAllowed(refusal_message(normalised, agent.allowed_origins))
    return normalised
