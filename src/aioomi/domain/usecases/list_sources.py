"""ListSources: the sources of an agent's knowledge base, each with its documents, freshness
and latest run."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import SourceOverview, freshness
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListSources:
    """The agent's sources, oldest first.

    Rules:
    - only the owner's agent (``agent_not_found`` otherwise);
    - each source shows how many documents it holds, its latest run, and whether it is fresh
      (synced within its schedule's period; see :func:`~aioomi.domain.model.sources.freshness`).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> list[SourceOverview]:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            sources = await uow.sources.list_for_agent(principal.account_id, agent.id)
            counts = await uow.sources.document_counts(principal.account_id, agent.id)
            runs = {s.id: await uow.sources.list_runs(principal.account_id, s.id, limit=1) for s in sources}
        return [SourceOverview(source=s, documents=counts.get(s.id, 0), freshness=freshness(s, now),
                               last_run=runs[s.id][0] if runs[s.id] else None) for s in sources]
