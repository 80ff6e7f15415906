"""What the worker runs: job kinds mapped to use cases, and the periodic schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aioomi.container import AppContainer
from aioomi.entrypoints.worker.runner import JobHandler, PeriodicTask, Worker

PURGE_FINISHED_JOBS = "jobs.purge_finished"
PURGE_RATE_LIMIT_COUNTERS = "rate_limits.purge_expired"


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    """Job kind → handler. Handlers translate a JSON payload into a use-case call."""

    async def purge_finished_jobs(_: dict[str, Any]) -> object:
        return await container.purge_finished_jobs()()

    async def purge_rate_limit_counters(_: dict[str, Any]) -> object:
        return await container.purge_rate_limit_counters()()

    return {
        PURGE_FINISHED_JOBS: purge_finished_jobs,
        PURGE_RATE_LIMIT_COUNTERS: purge_rate_limit_counters,
    }


PERIODIC = (
    PeriodicTask(kind=PURGE_FINISHED_JOBS, every=timedelta(hours=1)),
    PeriodicTask(kind=PURGE_RATE_LIMIT_COUNTERS, every=timedelta(minutes=15)),
)


def build_worker(container: AppContainer) -> Worker:
    settings = container.settings()
    return Worker(
        container.job_store(),
        handlers(container),
        container.clock(),
        periodic=PERIODIC,
        concurrency=settings.worker_concurrency,
        poll_interval=timedelta(seconds=settings.worker_poll_s),
        lease=timedelta(seconds=settings.worker_lease_s),
        shutdown_grace=timedelta(seconds=settings.worker_shutdown_grace_s),
    )
