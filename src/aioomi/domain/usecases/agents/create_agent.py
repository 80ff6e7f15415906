"""CreateAgent: Create an agent for the caller's account."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    MAX_AGENTS_PER_ACCOUNT,
    Agent,
    AgentSettings,
    TooManyAgents,
    check_agent_settings,
    new_public_key,
)
from aioomi.domain.model.billing import enforce_agent_limit
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import AGENT_ID_PREFIX
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


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

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, embedding_model: str, plans: PlanLimits | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._embedding_model = embedding_model
        self._plans = plans

    async def __call__(self, principal: Principal, settings: AgentSettings) -> Agent:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        checked = check_agent_settings(settings)
        now = self._clock.now()
        agent = Agent(
            **msgspec.structs.asdict(checked),
            id=new_id(AGENT_ID_PREFIX),
            account_id=principal.workspace_id,
            public_key=new_public_key(),
            embedding_model=self._embedding_model,
            created_at=now,
            updated_at=now,
        )
        plan = await self._plans.plan_limits(principal.workspace_id) if self._plans is not None else None
        async with self._uow(account_id=principal.workspace_id) as uow:
            count = await uow.agents.count_locked(principal.workspace_id)
            if count >= MAX_AGENTS_PER_ACCOUNT:
                raise TooManyAgents(f"An account holds at most {MAX_AGENTS_PER_ACCOUNT} agents; delete one first.")
            if plan is not None:
                enforce_agent_limit(plan, count)
            await uow.agents.add(agent)
            await uow.commit()
        return agent
