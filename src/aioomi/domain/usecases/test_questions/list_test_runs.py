"""The owner reads an agent's test runs."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.pagination import MAX_PAGE_SIZE, check_page_size
from aioomi.domain.model.test_questions import TestRun
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListTestRuns:
    """The agent's test runs, latest first; ``limit`` 1–100; another account's agent is not
    found."""

    __test__ = False

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, *, limit: int = MAX_PAGE_SIZE) -> list[TestRun]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        check_page_size(limit)
        async with self._uow(account_id=principal.workspace_id, read_only=True) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            return await uow.test_questions.list_runs(principal.workspace_id, agent.id, limit=limit)
