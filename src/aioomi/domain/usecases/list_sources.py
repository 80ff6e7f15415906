"""ListSources: the sources of an agent's knowledge base, each with its documents, freshness
and latest run."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import SourceLimits, SourceOverview, freshness
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.plan_quota import page_limit_of, plan_of
from aioomi.ports.clock import Clock
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListSources:
    """The agent's sources, oldest first.

    Rules:
    - only the owner's agent (``agent_not_found`` otherwise);
    - each source shows how many documents it holds, its latest run, and whether it is fresh
      (synced within its schedule's period; see :func:`~aioomi.domain.model.sources.freshness`);
    - a website or sitemap source shows the pages its next crawl takes (``page_limit``: its
      ``max_pages`` capped by the plan's limit in force, or the server's without a plan).
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, limits: SourceLimits | None = None, plans: PlanLimits | None = None
    ) -> None:
        self._limits = limits or SourceLimits()
        self._plans = plans
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> list[SourceOverview]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        now = self._clock.now()
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            sources = await uow.sources.list_for_agent(principal.workspace_id, agent.id)
            counts = await uow.sources.document_counts(principal.workspace_id, agent.id)
            runs = {s.id: await uow.sources.list_runs(principal.workspace_id, s.id, limit=1) for s in sources}
        plan = await plan_of(self._plans, principal.workspace_id)
        return [
            SourceOverview(
                source=s,
                documents=counts.get(s.id, 0),
                freshness=freshness(s, now),
                last_run=runs[s.id][0] if runs[s.id] else None,
                page_limit=page_limit_of(s.kind, s.settings, plan, self._limits),
            )
            for s in sources
        ]
