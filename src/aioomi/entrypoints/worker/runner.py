"""The worker loop: claim, run with a heart-beating lease, complete or retry with backoff."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import msgspec
import structlog

from aioomi.domain.model.errors import AioomiError, PermanentFailure
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import Job, NewJob, periodic_slot, retry_delay
from aioomi.ports.clock import Clock
from aioomi.ports.job_queue import JobStore

log = structlog.get_logger("aioomi.worker")

JobHandler = Callable[[dict[str, Any]], Awaitable[object]]


P = TypeVar("P", bound=msgspec.Struct)


def decoded(payload_type: type[P], call: Callable[[P], Awaitable[object]]) -> JobHandler:
    """A handler that decodes the job's JSON payload into ``payload_type`` before ``call``: a
    payload that does not fit (a field missing or of the wrong type) fails the job at once with
    a :class:`PermanentFailure` naming the field, instead of a ``KeyError`` retried for hours."""

    async def handle(payload: dict[str, Any]) -> object:
        try:
            typed = msgspec.convert(payload, payload_type, strict=False)
        except msgspec.ValidationError as error:
            raise PermanentFailure(f"Malformed {payload_type.__name__}: {error}") from None
        return await call(typed)

    handle.__name__ = handle.__qualname__ = getattr(call, "__name__", "handle")
    return handle


class PeriodicTask(msgspec.Struct, frozen=True, kw_only=True):
    """Enqueue a job of ``kind`` once per ``every``, whichever worker gets there first."""

    kind: str
    every: timedelta


class Worker:
    """Runs jobs from a :class:`JobStore` until :meth:`stop` is called.

    - at most ``concurrency`` jobs at once, each under a lease renewed every third of its length,
      so a worker that dies mid-job loses its jobs to others once the lease runs out;
    - a failure is retried with exponential backoff until ``max_attempts``, then marked failed;
      a :class:`PermanentFailure` (retrying cannot help: a limit was hit) is marked failed at once;
    - periodic tasks are enqueued with a ``kind:slot`` dedupe key, so several workers enqueue
      each slot once;
    - :meth:`stop` stops claiming, waits up to ``shutdown_grace`` for running jobs, then
      cancels them and hands them back to the queue.
    """

    def __init__(
        self,
        store: JobStore,
        handlers: Mapping[str, JobHandler],
        clock: Clock,
        *,
        periodic: tuple[PeriodicTask, ...] = (),
        concurrency: int = 4,
        poll_interval: timedelta = timedelta(seconds=1),
        lease: timedelta = timedelta(seconds=60),
        shutdown_grace: timedelta = timedelta(seconds=30),
        worker_id: str | None = None,
    ) -> None:
        unknown = {p.kind for p in periodic} - set(handlers)
        if unknown:
            raise ValueError(f"periodic tasks without a handler: {sorted(unknown)}")
        self._store = store
        self._handlers = dict(handlers)
        self._kinds = frozenset(handlers)
        self._clock = clock
        self._periodic = periodic
        self._concurrency = concurrency
        self._poll = poll_interval.total_seconds()
        self._lease = lease
        self._grace = shutdown_grace.total_seconds()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{new_id('wrk')[-6:]}"
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    def notify(self) -> None:
        """Wake the loop now instead of at the next poll (after an enqueue in this process)."""
        self._wake.set()

    async def run(self) -> None:
        log.info("worker started", worker_id=self.worker_id, kinds=sorted(self._kinds))
        try:
            while not self._stopping.is_set():
                try:
                    await self._tick()
                except AioomiError as error:  # the database went away: wait and try again
                    log.warning("worker tick failed", code=error.code, detail=error.detail)
                    await self._sleep(max(self._poll, 1.0))
        finally:
            await self._drain()
            log.info("worker stopped", worker_id=self.worker_id)

    async def run_until_idle(self) -> None:
        """Run every due job, then return (tests and the CLI's one-shot mode)."""
        await self._store.requeue_expired()
        await self._enqueue_periodic()
        while True:
            job = await self._store.claim(self.worker_id, self._kinds, self._lease)
            if job is None:
                return
            await self._execute(job)

    async def _tick(self) -> None:
        # Cleared here, before the first await, not when going to sleep: a stop(), notify() or
        # finished job that arrives while this tick talks to the store must cut the sleep short.
        self._wake.clear()
        await self._store.requeue_expired()
        await self._enqueue_periodic()
        claimed_any = False
        while len(self._running) < self._concurrency and not self._stopping.is_set():
            job = await self._store.claim(self.worker_id, self._kinds, self._lease)
            if job is None:
                break
            claimed_any = True
            task = asyncio.create_task(self._execute(job), name=f"job:{job.id}")
            self._running.add(task)
            task.add_done_callback(self._on_done)
        if not claimed_any or len(self._running) >= self._concurrency:
            await self._sleep(self._poll)

    def _on_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _enqueue_periodic(self) -> None:
        now = self._clock.now()
        for task in self._periodic:
            slot = periodic_slot(now, task.every)
            await self._store.enqueue(
                NewJob(kind=task.kind, dedupe_key=f"{task.kind}:{slot.isoformat()}", max_attempts=3)
            )

    async def _execute(self, job: Job) -> None:
        bound = log.bind(job_id=job.id, kind=job.kind, attempt=job.attempts)
        heartbeat = asyncio.create_task(self._heartbeat(job))
        started = asyncio.get_running_loop().time()
        try:
            await self._handlers[job.kind](job.payload)
        except asyncio.CancelledError:
            # Shutdown ran out of grace: hand the job back at once, without counting the start.
            await asyncio.shield(self._store.release(job.id, self.worker_id))
            bound.warning("job handed back at shutdown")
            raise
        except Exception as error:  # noqa: BLE001 - any failure of a job is recorded, not fatal
            message = f"{type(error).__name__}: {error}"
            retry_in = (
                retry_delay(job.attempts)
                if job.attempts < job.max_attempts and not isinstance(error, PermanentFailure)
                else None
            )
            await self._record(bound, self._store.fail(job.id, self.worker_id, message, retry_in))
            bound.warning(
                "job failed", error=message, retry_in_s=retry_in.total_seconds() if retry_in is not None else None
            )
        else:
            await self._record(bound, self._store.complete(job.id, self.worker_id))
            bound.info("job done", ms=round((asyncio.get_running_loop().time() - started) * 1000, 1))
        finally:
            heartbeat.cancel()

    @staticmethod
    async def _record(bound: Any, outcome: Awaitable[None]) -> None:
        # If the store cannot take the outcome (database gone), the job stays running until its
        # lease expires and then runs again: handlers are idempotent. Say so, do not crash.
        try:
            await outcome
        except AioomiError as error:
            bound.error("could not record the job's outcome; it will run again after its lease", code=error.code)

    async def _heartbeat(self, job: Job) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self._store.heartbeat(job.id, self.worker_id, self._lease):
                    log.warning("lost the lease on a job", job_id=job.id)
                    return
            except AioomiError:
                pass  # next beat may get through; the lease covers two missed beats

    async def _drain(self) -> None:
        if not self._running:
            return
        log.info("waiting for running jobs", count=len(self._running), grace_s=self._grace)
        done, pending = await asyncio.wait(self._running, timeout=self._grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
