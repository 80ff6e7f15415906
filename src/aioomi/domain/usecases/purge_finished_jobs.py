"""PurgeFinishedJobs: the queue does not grow without bound."""

from __future__ import annotations

from aioomi.domain.model import retention
from aioomi.domain.usecases.batched_delete import delete_in_batches
from aioomi.ports.clock import Clock
from aioomi.ports.job_queue import JobStore


class PurgeFinishedJobs:
    """Delete finished jobs once their retention has passed.

    Rules:
    - done and failed jobs are kept for ``retention.FINISHED_JOBS`` after they finished;
    - queued and running jobs are never touched;
    - deletion runs in bounded batches (``retention.SWEEP_BATCH``) so it never holds long locks;
      it is idempotent and safe to run from several workers at once.
    """

    def __init__(self, jobs: JobStore, clock: Clock) -> None:
        self._jobs = jobs
        self._clock = clock

    async def __call__(self) -> int:
        cutoff = self._clock.now() - retention.FINISHED_JOBS
        return await delete_in_batches(
            lambda: self._jobs.purge_finished(cutoff, retention.SWEEP_BATCH), retention.SWEEP_BATCH
        )
