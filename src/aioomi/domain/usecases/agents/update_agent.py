"""UpdateAgent: Change some of an agent's settings."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    Agent,
    AgentChanges,
    apply_changes,
    check_agent_settings,
)
from aioomi.domain.model.test_questions import RunTrigger
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.test_questions.request_test_run import rerun_tests_after_change
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class UpdateAgent:
    """Change some of an agent's settings.

    Rules: fields left unset keep their value (also inside ``widget`` and ``retrieval``); the
    result obeys the same rules as a new agent; the id, public key, embedding model and
    creation time never change here; the agent is locked while it is read and written, so
    concurrent partial updates of different fields all survive; a real change queues a
    debounced run of the agent's test questions when it has some (same transaction).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, changes: AgentChanges) -> Agent:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id, for_update=True)
            settings = check_agent_settings(apply_changes(agent.settings, changes))
            updated = agent.with_settings(settings, at=self._clock.now())
            await uow.agents.update(updated)
            if settings != agent.settings:
                await rerun_tests_after_change(
                    uow, updated.updated_at, principal.workspace_id, agent.id, RunTrigger.SETTINGS
                )
            await uow.commit()
        return updated
