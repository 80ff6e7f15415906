"""The owner chooses how an agent uses its curated answers."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.curated import CuratedSettings, check_curated_settings
from aioomi.domain.model.test_questions import RunTrigger
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.test_questions.request_test_run import rerun_tests_after_change
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SetCuratedSettings:
    """Store the agent's curated-answer settings.

    Rules: ``mode`` is ``direct`` (serve a matching pair's answer as it is, no model call) or
    ``passage`` (give it to the model as the top passage), else ``invalid_curated_mode``;
    ``threshold`` is 0–1 on the relevance gate's scale, else ``invalid_curated_threshold``;
    another account's agent is not found. A real change (from the stored settings, or the
    defaults when none are stored) queues a debounced run of the agent's test questions in the
    same transaction, like a change of the agent's settings."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str, *, mode: str, threshold: float) -> CuratedSettings:
        ensure_permitted(principal, Permission.EDIT_AGENTS)
        settings = check_curated_settings(mode, threshold)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            before = await uow.curated_settings.get(principal.workspace_id, agent.id) or CuratedSettings()
            await uow.curated_settings.put(principal.workspace_id, agent.id, settings)
            if settings != before:
                await rerun_tests_after_change(
                    uow, self._clock.now(), principal.workspace_id, agent.id, RunTrigger.SETTINGS
                )
            await uow.commit()
        return settings
