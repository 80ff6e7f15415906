"""The owner asks the worker to regroup the agent's questions now."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.question_groups.refresh_question_groups import REFRESH_QUESTION_GROUPS
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RequestQuestionGroupsRefresh:
    """Queue :class:`RefreshQuestionGroups` for the agent (the grouping runs in the worker, not
    in the request). Requests within the same minute queue one job; another account's agent is
    not found."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> None:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        slot = self._clock.now().strftime("%Y%m%d%H%M")
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            await uow.jobs.enqueue(
                NewJob(
                    kind=REFRESH_QUESTION_GROUPS,
                    max_attempts=3,
                    payload={"account_id": principal.workspace_id, "agent_id": agent.id},
                    dedupe_key=f"{REFRESH_QUESTION_GROUPS}:{agent.id}:{slot}",
                )
            )
            await uow.commit()
