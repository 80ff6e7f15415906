"""The owner reads one test run."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.test_questions import TEST_RUN_PREFIX, TestRun, TestRunNotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetTestRun:
    """One of the agent's test runs with its results; another account's or agent's run is not
    found (``test_run_not_found``)."""

    __test__ = False

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, run_id: str) -> TestRun:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        async with self._uow(account_id=principal.workspace_id, read_only=True) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            run = (
                await uow.test_questions.get_run(principal.workspace_id, run_id)
                if is_id(run_id, TEST_RUN_PREFIX)
                else None
            )
            if run is None or run.agent_id != agent.id:
                raise TestRunNotFound("No such test run.")
            return run
