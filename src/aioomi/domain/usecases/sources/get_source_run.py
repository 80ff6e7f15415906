"""GetSourceRun: One run of the source (``run_not_found`` for another source's or account's)."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import SourceRun
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.source_support import find_own_run, find_own_source
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetSourceRun:
    """One run of the source (``run_not_found`` for another source's or account's)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, source_id: str, run_id: str) -> SourceRun:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id)
            return await find_own_run(uow, principal, source, run_id)
