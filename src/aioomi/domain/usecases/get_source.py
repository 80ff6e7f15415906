"""GetSource: one source of an agent's knowledge base, with its documents count, freshness and
latest run."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import SourceLimits, SourceOverview, freshness
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import page_limit_of, plan_of
from aioomi.domain.usecases.source_support import find_own_source
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetSource:
    """One of the agent's sources (``source_not_found`` for anyone else's), with the page limit
    its next crawl takes (its ``max_pages`` capped by the plan's limit in force)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, limits: SourceLimits | None = None, plans: PlanLimits | None = None
    ) -> None:
        self._limits = limits or SourceLimits()
        self._plans = plans
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, source_id: str) -> SourceOverview:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id)
            counts = await uow.sources.document_counts(principal.workspace_id, agent.id)
            runs = await uow.sources.list_runs(principal.workspace_id, source.id, limit=1)
        plan = await plan_of(self._plans, principal.workspace_id)
        return SourceOverview(
            source=source,
            documents=counts.get(source.id, 0),
            freshness=freshness(source, self._clock.now()),
            last_run=runs[0] if runs else None,
            page_limit=page_limit_of(source.kind, source.settings, plan, self._limits),
        )
