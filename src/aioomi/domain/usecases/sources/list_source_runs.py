"""The ListSourceRuns use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.pagination import check_page_size
from aioomi.domain.model.sources import SourceRun
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.source_support import find_own_source
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListSourceRuns:
    """The source's runs, newest first, at most ``limit`` (1–100): status, counts, failures
    with their reasons, duration."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, agent_id: str, source_id: str, *, limit: int = 20
    ) -> list[SourceRun]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        check_page_size(limit)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id)
            return await uow.sources.list_runs(principal.workspace_id, source.id, limit=limit)
