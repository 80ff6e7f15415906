"""SyncSource: start a sync of a website or sitemap source now."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import CRAWLED_KINDS, SourceKindNotAllowed, SourceRun
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.source_support import find_own_source, start_run
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SyncSource:
    """Queue a run of the source ("sync now").

    Rules:
    - only website and sitemap sources sync (``source_kind_not_allowed``);
    - one run at a time: while one is queued or running, ``source_sync_in_progress`` (409);
    - the run and its job are recorded in one unit of work (under the source's row lock).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, source_id: str) -> SourceRun:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id, for_update=True)
            if source.kind not in CRAWLED_KINDS:
                raise SourceKindNotAllowed(f"A {source.kind} source has nothing to sync.")
            run = await start_run(uow, source, self._clock.now())
            await uow.commit()
        return run
