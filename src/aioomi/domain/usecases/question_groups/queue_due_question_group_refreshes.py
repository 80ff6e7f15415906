"""The worker's periodic task: regroup the questions of agents with new ones."""

from __future__ import annotations

from datetime import timedelta

from aioomi.domain.model.jobs import NewJob
from aioomi.domain.usecases.question_groups.refresh_question_groups import REFRESH_QUESTION_GROUPS
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory

QUEUE_DUE_QUESTION_GROUP_REFRESHES = "question_groups.queue_due"
REFRESHES_PER_TICK = 20
LOOKBACK = timedelta(days=7)
SLOT_MINUTES = 10


class QueueDueQuestionGroupRefreshes:
    """Queue :class:`RefreshQuestionGroups` for the agents with new wanting questions.

    Rules:
    - an agent is due when one of its answers fell back, had no source or got a thumbs-down
      after its last refresh (never refreshed: any), looking back at most 7 days;
    - at most 20 agents a tick (never-refreshed first, then the longest since), so a tick's
      work is bounded; the rest wait for the next tick;
    - one job per agent per 10-minute slot (a second tick in the same slot adds none);
      returns how many agents were due.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self) -> int:
        now = self._clock.now()
        slot = f"{now:%Y%m%d%H}{now.minute // SLOT_MINUTES}"
        async with self._uow(account_id=None) as uow:
            due = await uow.question_groups.due_for_refresh(now - LOOKBACK, limit=REFRESHES_PER_TICK)
            for account_id, agent_id in due:
                await uow.jobs.enqueue(
                    NewJob(
                        kind=REFRESH_QUESTION_GROUPS,
                        max_attempts=3,
                        payload={"account_id": account_id, "agent_id": agent_id},
                        dedupe_key=f"{REFRESH_QUESTION_GROUPS}:{agent_id}:auto:{slot}",
                    )
                )
            await uow.commit()
        return len(due)
