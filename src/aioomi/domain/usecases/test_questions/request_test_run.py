"""Queue a run of an agent's test questions in the worker."""

from __future__ import annotations

from datetime import datetime, timedelta

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.test_questions import RunTrigger
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

RUN_TEST_QUESTIONS = "run_test_questions"
DEBOUNCE_SECONDS = 60


async def enqueue_test_run(uow: UnitOfWork, now: datetime, account_id: str, agent_id: str, trigger: RunTrigger) -> None:
    """Queue :data:`RUN_TEST_QUESTIONS` for the agent, debounced: requests within the same
    minute (whatever their trigger) share one job, which runs a minute later, so a burst of
    changes (a folder of documents becoming ready) runs the tests once, after the burst."""
    slot = int(now.timestamp()) // DEBOUNCE_SECONDS
    manual = trigger is RunTrigger.MANUAL
    await uow.jobs.enqueue(
        NewJob(
            kind=RUN_TEST_QUESTIONS,
            max_attempts=3,
            payload={"account_id": account_id, "agent_id": agent_id, "trigger": trigger.value},
            dedupe_key=f"{RUN_TEST_QUESTIONS}:{agent_id}:{'manual' if manual else 'auto'}:{slot}",
            run_at=None if manual else now + timedelta(seconds=DEBOUNCE_SECONDS),
        )
    )


class RequestTestRun:
    """The owner asks for a run of the agent's test questions now (in the worker, not in the
    request); requests within the same minute queue one job; another account's agent is not
    found."""

    __test__ = False

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, agent_id: str) -> None:
        ensure_permitted(principal, Permission.RUN_TESTS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            await enqueue_test_run(uow, self._clock.now(), principal.workspace_id, agent.id, RunTrigger.MANUAL)
            await uow.commit()


async def rerun_tests_after_change(
    uow: UnitOfWork, now: datetime, account_id: str, agent_id: str, trigger: RunTrigger
) -> None:
    """Inside the unit of work that changed the agent's knowledge (a document ready or removed)
    or settings: queue a debounced run (:func:`enqueue_test_run`) when the agent has test
    questions; nothing otherwise. The job commits with the change, or not at all."""
    if await uow.test_questions.list_questions(account_id, agent_id):
        await enqueue_test_run(uow, now, account_id, agent_id, trigger)
