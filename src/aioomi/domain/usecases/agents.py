"""CreateAgent, GetAgent, ListAgents, UpdateAgent and RotateAgentKey: the owner's agents.

(DeleteAgent, which also empties the knowledge base, is in :mod:`.delete_agent`.)
"""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    MAX_AGENTS_PER_ACCOUNT,
    Agent,
    AgentChanges,
    AgentNotFound,
    AgentSettings,
    TooManyAgents,
    apply_changes,
    check_agent_settings,
    new_public_key,
)
from aioomi.domain.model.billing import enforce_agent_limit
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.ports.agents import AgentRepository
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory

AGENT_ID_PREFIX = "agt"


async def find_own_agent(agents: AgentRepository, principal: Principal, agent_id: str, *, for_update: bool = False) -> Agent:
    """The caller's agent, or :class:`AgentNotFound`: another account's agent is not found
    either, exactly like a missing one."""
    agent = None
    if is_id(agent_id, AGENT_ID_PREFIX):
        agent = await agents.get(principal.account_id, agent_id, for_update=for_update)
    if agent is None:
        raise AgentNotFound("No such agent.")
    return agent


class CreateAgent:
    """Create an agent for the caller's account.

    Rules:
    - the settings obey :func:`~aioomi.domain.model.agents.check_agent_settings` and are
      stored normalised (trimmed text, canonical origins); no origin is allowed until set;
    - at most ``MAX_AGENTS_PER_ACCOUNT`` agents per account (``too_many_agents``), counted
      under a per-account lock so concurrent creations cannot overshoot;
    - and, while billing is on, at most the account's plan's ``max_agents``
      (``plan_limit_reached``, 402), counted under the same lock; nothing is stored;
    - a fresh random public widget key;
    - the embedding model is the one in use when the agent is created (``embedding_model``);
      the knowledge base is embedded with it for the agent's whole life.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, embedding_model: str, plans: PlanLimits | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._embedding_model = embedding_model
        self._plans = plans

    async def __call__(self, principal: Principal, settings: AgentSettings) -> Agent:
        checked = check_agent_settings(settings)
        now = self._clock.now()
        agent = Agent(
            **msgspec.structs.asdict(checked),
            id=new_id(AGENT_ID_PREFIX),
            account_id=principal.account_id,
            public_key=new_public_key(),
            embedding_model=self._embedding_model,
            created_at=now,
            updated_at=now,
        )
        plan = await self._plans.plan_limits(principal.account_id) if self._plans is not None else None
        async with self._uow(account_id=principal.account_id) as uow:
            count = await uow.agents.count_locked(principal.account_id)
            if count >= MAX_AGENTS_PER_ACCOUNT:
                raise TooManyAgents(f"An account holds at most {MAX_AGENTS_PER_ACCOUNT} agents; delete one first.")
            if plan is not None:
                enforce_agent_limit(plan, count)
            await uow.agents.add(agent)
            await uow.commit()
        return agent


class GetAgent:
    """One of the caller's agents; any other id is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str) -> Agent:
        async with self._uow(account_id=principal.account_id) as uow:
            return await find_own_agent(uow.agents, principal, agent_id)


class ListAgents:
    """The caller's agents, newest first, a page at a time.

    Rules: ``limit`` 1–100 (default 20); ``cursor`` is the ``next_cursor`` of the previous page
    (anything else is ``invalid_cursor``); following the cursors lists every agent that exists
    throughout exactly once, whatever is created or deleted meanwhile.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[Agent]:
        check_page_size(limit)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.account_id) as uow:
            found = await uow.agents.list_page(principal.account_id, limit=limit + 1, after=after)
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            last = items[-1]
            next_cursor = encode_cursor(PageKey(created_at=last.created_at, id=last.id))
        return Page(items=items, next_cursor=next_cursor)


class UpdateAgent:
    """Change some of an agent's settings.

    Rules: fields left unset keep their value (also inside ``widget`` and ``retrieval``); the
    result obeys the same rules as a new agent; the id, public key, embedding model and
    creation time never change here; the agent is locked while it is read and written, so
    concurrent partial updates of different fields all survive.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, changes: AgentChanges) -> Agent:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id, for_update=True)
            settings = check_agent_settings(apply_changes(agent.settings, changes))
            updated = agent.with_settings(settings, at=self._clock.now())
            await uow.agents.update(updated)
            await uow.commit()
        return updated


class RotateAgentKey:
    """Give an agent a new public widget key. The old key stops working at once (widgets that
    still use it are refused); the owner pastes the new snippet into their site."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> Agent:
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id, for_update=True)
            rotated = msgspec.structs.replace(agent, public_key=new_public_key(), updated_at=self._clock.now())
            await uow.agents.update(rotated)
            await uow.commit()
        return rotated
