"""E-mail the workspace's owners that test questions which passed now fail."""

from __future__ import annotations

from aioomi.domain.model.mail import EmailMessage
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory

NOTIFY_TEST_FAILURES = "notify_test_failures"
MAX_LISTED = 20


class NotifyTestFailures:
    """Send the workspace's owners (each owner whose account is active and whose e-mail is
    verified, ``owner_contacts``) the run's newly failing questions (passed in the previous run,
    fail now; at most 20 listed, with how many more) and a link to the run (run as a job: a relay
    that is down is retried). Nothing is sent for a run or agent gone meanwhile, for a workspace
    with no such owner, nor for a run with nothing newly failing."""

    def __init__(self, uow: UnitOfWorkFactory, mailer: Mailer, base_url: str) -> None:
        self._uow = uow
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, run_id: str) -> bool:
        async with self._uow(account_id=account_id, read_only=True) as uow:
            owners = await uow.workspaces.owner_contacts(account_id)
            run = await uow.test_questions.get_run(account_id, run_id)
            agent = await uow.agents.get(account_id, run.agent_id) if run is not None else None
        if not owners or run is None or agent is None or not run.newly_failing():
            return False
        failing = run.newly_failing()
        lines = "\n".join(f"  - {r.question}\n    now answers: {r.excerpt}" for r in failing[:MAX_LISTED])
        more = f"\n  … and {len(failing) - MAX_LISTED} more" if len(failing) > MAX_LISTED else ""
        count = f"{len(failing)} test question{'s' if len(failing) > 1 else ''}"
        for owner in owners:
            await self._mailer.send(
                EmailMessage(
                    to=owner.email,
                    subject=f"{agent.name}: {count} stopped passing",
                    kind="test_questions_failing",
                    text=(
                        f"Hello {owner.greeting_name},\n\n"
                        f"{count} of {agent.name} passed in the previous run and fail now "
                        f"(run {run.id}, after a {run.trigger} change):\n\n{lines}{more}\n\n"
                        f"The run: {self._base_url}/api/v1/agents/{agent.id}/test-runs/{run.id}\n\n-- Aioomi\n"
                    ),
                )
            )
        return True
