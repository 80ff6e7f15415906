"""Enqueueing and running background jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from aioomi.domain.model.jobs import Job, NewJob


class JobQueue(Protocol):
    """Enqueues jobs inside the caller's unit of work: the job exists if and only if the unit
    of work commits, so a use case never leaves a row without its job or a job without its row."""

    async def enqueue(self, job: NewJob) -> str | None:
        """Add ``job``; return its id, or ``None`` when its ``dedupe_key`` is already taken."""
        ...


class JobStore(Protocol):
    """The worker's side of the queue. Every call commits on its own.

    Guarantees: a job is held by at most one worker at a time (``claim`` hands it out once
    per lease); a job whose holder stopped heart-beating is handed out again after its lease
    expires; a completed job is never handed out again.
    """

    async def enqueue(self, job: NewJob) -> str | None:
        """Add ``job`` outside any unit of work (periodic tasks, CLI)."""
        ...

    async def claim(self, worker_id: str, kinds: frozenset[str], lease: timedelta) -> Job | None:
        """Take the oldest due queued job of one of ``kinds``, marking it running for ``lease``."""
        ...

    async def heartbeat(self, job_id: str, worker_id: str, lease: timedelta) -> bool:
        """Extend the lease; ``False`` when the job is no longer held by ``worker_id``."""
        ...

    async def complete(self, job_id: str, worker_id: str) -> None:
        """Mark a held job done."""
        ...

    async def fail(self, job_id: str, worker_id: str, error: str, retry_in: timedelta | None) -> None:
        """Record a failed attempt: queue it again ``retry_in`` from now, or mark it failed for
        good (``None``). The delay is relative so that the store's own clock (the database's
        ``now()``, which also decides when a job is due) places the retry."""
        ...

    async def release(self, job_id: str, worker_id: str) -> None:
        """Hand a held job back unfinished (the worker is shutting down): queued again at once,
        and the interrupted start does not count against ``max_attempts``."""
        ...

    async def requeue_expired(self) -> int:
        """Give back jobs whose lease ran out (their worker died); return how many."""
        ...

    async def get(self, job_id: str) -> Job | None:
        """One job by id."""
        ...

    async def purge_finished(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` done or failed jobs finished before ``before``; return how many."""
        ...
