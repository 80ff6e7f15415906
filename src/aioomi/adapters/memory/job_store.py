"""The job queue in memory: same guarantees as the Postgres one, within one process."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import msgspec

from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import Job, JobStatus, NewJob
from aioomi.ports.clock import Clock


class InMemoryJobStore:
    """See :class:`aioomi.ports.job_queue.JobStore`. Time comes from the injected clock."""

    def __init__(self, clock: Clock, account_concurrency: int = 2) -> None:
        self._account_concurrency = account_concurrency
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._lock = asyncio.Lock()

    @property
    def jobs(self) -> list[Job]:
        """Every job, oldest first (for tests that check state)."""
        return sorted(self._jobs.values(), key=lambda j: j.created_at)

    def add_now(self, job: NewJob) -> str | None:
        """Insert without awaiting (used by the memory unit of work at commit)."""
        if job.dedupe_key is not None and any(j.dedupe_key == job.dedupe_key for j in self._jobs.values()):
            return None
        now = self._clock.now()
        created = Job(
            id=new_id("job"),
            kind=job.kind,
            payload=dict(job.payload),
            status=JobStatus.QUEUED,
            attempts=0,
            max_attempts=job.max_attempts,
            run_at=job.run_at or now,
            created_at=now,
            dedupe_key=job.dedupe_key,
        )
        self._jobs[created.id] = created
        return created.id

    async def enqueue(self, job: NewJob) -> str | None:
        async with self._lock:
            return self.add_now(job)

    async def claim(self, worker_id: str, kinds: frozenset[str], lease: timedelta) -> Job | None:
        async with self._lock:
            now = self._clock.now()
            due = [
                j for j in self._jobs.values() if j.status is JobStatus.QUEUED and j.run_at <= now and j.kind in kinds
            ]
            # fair across accounts, as the Postgres store: fewest running, least recently served,
            # oldest; an account at its concurrency cap waits
            window = now - timedelta(minutes=10)
            running: dict[object, int] = {}
            served: dict[object, datetime] = {}
            for j in self._jobs.values():
                account = _account(j)
                if j.status is JobStatus.RUNNING:
                    running[account] = running.get(account, 0) + 1
                    served[account] = now
                elif j.finished_at is not None and j.finished_at > window:
                    served[account] = max(served.get(account, j.finished_at), j.finished_at)
            due = [j for j in due if _account(j) is None or running.get(_account(j), 0) < self._account_concurrency]
            if not due:
                return None
            floor = datetime.min.replace(tzinfo=now.tzinfo)
            job = min(due, key=lambda j: (running.get(_account(j), 0), served.get(_account(j), floor), j.run_at))
            claimed = msgspec.structs.replace(
                job,
                status=JobStatus.RUNNING,
                attempts=job.attempts + 1,
                locked_by=worker_id,
                locked_until=now + lease,
            )
            self._jobs[job.id] = claimed
            return claimed

    def _held(self, job_id: str, worker_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None or job.status is not JobStatus.RUNNING or job.locked_by != worker_id:
            return None
        return job

    async def heartbeat(self, job_id: str, worker_id: str, lease: timedelta) -> bool:
        async with self._lock:
            job = self._held(job_id, worker_id)
            if job is None:
                return False
            self._jobs[job_id] = msgspec.structs.replace(job, locked_until=self._clock.now() + lease)
            return True

    async def complete(self, job_id: str, worker_id: str) -> None:
        async with self._lock:
            job = self._held(job_id, worker_id)
            if job is not None:
                self._jobs[job_id] = msgspec.structs.replace(
                    job, status=JobStatus.DONE, finished_at=self._clock.now(), locked_by=None, locked_until=None
                )

    async def fail(self, job_id: str, worker_id: str, error: str, retry_in: timedelta | None) -> None:
        async with self._lock:
            job = self._held(job_id, worker_id)
            if job is None:
                return
            if retry_in is None:
                self._jobs[job_id] = msgspec.structs.replace(
                    job,
                    status=JobStatus.FAILED,
                    finished_at=self._clock.now(),
                    last_error=error[:2000],
                    locked_by=None,
                    locked_until=None,
                )
            else:
                self._jobs[job_id] = msgspec.structs.replace(
                    job,
                    status=JobStatus.QUEUED,
                    run_at=self._clock.now() + retry_in,
                    last_error=error[:2000],
                    locked_by=None,
                    locked_until=None,
                )

    async def release(self, job_id: str, worker_id: str) -> None:
        async with self._lock:
            job = self._held(job_id, worker_id)
            if job is not None:
                self._jobs[job_id] = msgspec.structs.replace(
                    job,
                    status=JobStatus.QUEUED,
                    attempts=max(job.attempts - 1, 0),
                    run_at=self._clock.now(),
                    last_error="released: the worker shut down",
                    locked_by=None,
                    locked_until=None,
                )

    async def requeue_expired(self) -> int:
        async with self._lock:
            now = self._clock.now()
            count = 0
            for job in list(self._jobs.values()):
                if job.status is JobStatus.RUNNING and job.locked_until is not None and job.locked_until < now:
                    exhausted = job.attempts >= job.max_attempts
                    self._jobs[job.id] = msgspec.structs.replace(
                        job,
                        status=JobStatus.FAILED if exhausted else JobStatus.QUEUED,
                        finished_at=now if exhausted else None,
                        last_error="lease expired: the worker stopped while running the job",
                        locked_by=None,
                        locked_until=None,
                    )
                    count += 1
            return count

    async def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    async def purge_finished(self, before: datetime, limit: int) -> int:
        async with self._lock:
            doomed = [
                j.id
                for j in self._jobs.values()
                if j.status in (JobStatus.DONE, JobStatus.FAILED)
                and j.finished_at is not None
                and j.finished_at < before
            ][:limit]
            for job_id in doomed:
                del self._jobs[job_id]
            return len(doomed)


def _account(job: Job) -> object:
    account = job.payload.get("account_id") if isinstance(job.payload, dict) else None
    return account if isinstance(account, str) else None
