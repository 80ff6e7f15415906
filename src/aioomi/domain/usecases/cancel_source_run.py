"""CancelSourceRun: stop a queued or running sync."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.sources import RunStatus, SourceRun
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.source_support import find_own_run, find_own_source
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CancelSourceRun:
    """Cancel one of the source's runs.

    Rules:
    - a queued run is ``cancelled`` at once (its job then does nothing);
    - a running run is marked ``cancel_requested``: the crawl stops before its next batch of
      pages (at most two pages later), keeping the pages already complete — a document is
      written whole or not at all — and the run ends ``cancelled``;
    - a finished run is left as it is (cancelling is idempotent).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, source_id: str, run_id: str) -> SourceRun:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            source = await find_own_source(uow, principal, agent, source_id, for_update=True)
            run = await find_own_run(uow, principal, source, run_id)
            if run.status is RunStatus.QUEUED:
                run = msgspec.structs.replace(
                    run, status=RunStatus.CANCELLED, cancel_requested=True, finished_at=self._clock.now()
                )
            elif run.status is RunStatus.RUNNING:
                run = msgspec.structs.replace(run, cancel_requested=True)
            else:
                return run
            await uow.sources.update_run(run)
            await uow.commit()
        return run
