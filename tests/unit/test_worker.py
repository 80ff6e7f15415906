"""The worker loop on the in-memory queue, with a clock the test moves."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from aioomi.adapters.memory.clock import ManualClock
from aioomi.adapters.memory.job_store import InMemoryJobStore
from aioomi.domain.model.jobs import JobStatus, NewJob, retry_delay
from aioomi.entrypoints.worker.runner import PeriodicTask, Worker, decoded


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> InMemoryJobStore:
    return InMemoryJobStore(clock)


def make_worker(store, clock, handlers, **kwargs) -> Worker:
    return Worker(store, handlers, clock, poll_interval=timedelta(milliseconds=10), **kwargs)


async def test_each_job_runs_once_with_its_payload(store, clock) -> None:
    seen: list[dict[str, Any]] = []

    async def record(payload: dict[str, Any]) -> None:
        seen.append(payload)

    for i in range(5):
        await store.enqueue(NewJob(kind="t.record", payload={"i": i}))
    await make_worker(store, clock, {"t.record": record}).run_until_idle()
    assert sorted(p["i"] for p in seen) == [0, 1, 2, 3, 4]
    assert all(j.status is JobStatus.DONE for j in store.jobs)


async def test_failures_retry_with_backoff_then_fail_for_good(store, clock) -> None:
    attempts = 0

    async def flaky(_: dict[str, Any]) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError(f"failure {attempts}")

    job_id = await store.enqueue(NewJob(kind="t.flaky", max_attempts=3))
    worker = make_worker(store, clock, {"t.flaky": flaky})
    await worker.run_until_idle()
    job = await store.get(job_id)
    assert job.status is JobStatus.QUEUED and job.run_at == clock.now() + retry_delay(1)
    await worker.run_until_idle()
    assert attempts == 1, "a retry must wait for its backoff"
    clock.advance(retry_delay(1))
    await worker.run_until_idle()
    clock.advance(retry_delay(2))
    await worker.run_until_idle()
    job = await store.get(job_id)
    assert attempts == 3
    assert job.status is JobStatus.FAILED and job.last_error == "RuntimeError: failure 3"
    clock.advance(timedelta(days=1))
    await worker.run_until_idle()
    assert attempts == 3


async def test_periodic_task_is_enqueued_once_per_slot_by_many_workers(store, clock) -> None:
    runs = 0

    async def tick(_: dict[str, Any]) -> None:
        nonlocal runs
        runs += 1

    periodic = (PeriodicTask(kind="t.tick", every=timedelta(hours=1)),)
    assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # on the hour: a slot starts here
    workers = [make_worker(store, clock, {"t.tick": tick}, periodic=periodic) for _ in range(3)]
    for worker in workers:
        await worker.run_until_idle()
    assert runs == 1
    clock.advance(timedelta(minutes=59))
    for worker in workers:
        await worker.run_until_idle()
    assert runs == 1  # 00:59 is still in the 00:00 slot
    clock.advance(timedelta(hours=1))  # 01:59: the 01:00 slot
    for worker in workers:
        await worker.run_until_idle()
    assert runs == 2


def test_periodic_task_needs_a_handler(store, clock) -> None:
    with pytest.raises(ValueError):
        make_worker(store, clock, {}, periodic=(PeriodicTask(kind="t.none", every=timedelta(hours=1)),))


async def test_run_loop_processes_jobs_and_stops_gracefully(store, clock) -> None:
    done = asyncio.Event()
    finished: list[int] = []

    async def slow(payload: dict[str, Any]) -> None:
        await asyncio.sleep(0.05)
        finished.append(payload["i"])
        if len(finished) == 6:
            done.set()

    for i in range(6):
        await store.enqueue(NewJob(kind="t.slow", payload={"i": i}))
    worker = make_worker(store, clock, {"t.slow": slow}, concurrency=3)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(done.wait(), timeout=5)
    worker.stop()
    await asyncio.wait_for(task, timeout=5)
    assert sorted(finished) == list(range(6))
    assert all(j.status is JobStatus.DONE for j in store.jobs)


async def test_shutdown_past_the_grace_hands_running_jobs_back(store, clock) -> None:
    started = asyncio.Event()

    async def stuck(_: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    job_id = await store.enqueue(NewJob(kind="t.stuck"))
    worker = make_worker(store, clock, {"t.stuck": stuck}, shutdown_grace=timedelta(milliseconds=50))
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), timeout=5)
    worker.stop()
    await asyncio.wait_for(task, timeout=5)
    job = await store.get(job_id)
    assert job.status is JobStatus.QUEUED and job.locked_by is None
    assert job.last_error == "released: the worker shut down"
    assert job.attempts == 0, "an interrupted start does not count against max_attempts"


async def test_the_product_jobs_run_on_the_memory_container(memory_container) -> None:
    """Every registered job kind and periodic task runs to completion on the memory backend."""
    from aioomi.entrypoints.worker.jobs import PERIODIC, build_worker

    worker = build_worker(memory_container)
    await worker.run_until_idle()
    store = memory_container.job_store()
    kinds = {job.kind for job in store.jobs}
    assert {task.kind for task in PERIODIC} <= kinds
    assert all(job.status is JobStatus.DONE for job in store.jobs), [(j.kind, j.last_error) for j in store.jobs]


class Greeting(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    times: int = 1


async def test_a_typed_handler_gets_its_payload_decoded_and_a_malformed_one_fails_at_once(store, clock) -> None:
    seen: list[Greeting] = []

    async def greet(job: Greeting) -> None:
        seen.append(job)

    ok = await store.enqueue(NewJob(kind="t.greet", payload={"name": "Ada", "times": "3", "extra": True}))
    missing = await store.enqueue(NewJob(kind="t.greet", payload={"times": 2}, max_attempts=5))
    wrong = await store.enqueue(NewJob(kind="t.greet", payload={"name": ["Ada"]}, max_attempts=5))
    await make_worker(store, clock, {"t.greet": decoded(Greeting, greet)}).run_until_idle()
    assert seen == [Greeting(name="Ada", times=3)]  # a number sent as text is read; unknown fields ignored
    assert (await store.get(ok)).status is JobStatus.DONE
    for job_id, field in ((missing, "name"), (wrong, "$.name")):
        job = await store.get(job_id)
        assert (job.status, job.attempts) == (JobStatus.FAILED, 1)  # permanent: no retry of the 5
        assert job.last_error.startswith("PermanentFailure: Malformed Greeting: ") and field in job.last_error


async def test_every_product_job_refuses_a_malformed_payload_for_good(memory_container) -> None:
    """A job kind that reads a payload decodes it at the edge: an empty one fails at once,
    naming the payload type, instead of a ``KeyError`` retried for hours."""
    from aioomi.entrypoints.worker.jobs import PERIODIC, handlers

    periodic = {task.kind for task in PERIODIC}
    store = memory_container.job_store()
    ids = {}
    for kind in sorted(set(handlers(memory_container)) - periodic):
        ids[kind] = await store.enqueue(NewJob(kind=kind, payload={"account_id": 7, "customer_id": 7}, max_attempts=5))
    assert len(ids) == 20  # 3 account, 1 handoff, 2 privacy, 1 workspace (purge) and 13 other kinds read a payload
    await Worker(
        store, handlers(memory_container), memory_container.clock(), poll_interval=timedelta(milliseconds=10)
    ).run_until_idle()
    failed = {kind: await store.get(job_id) for kind, job_id in ids.items()}
    assert {k: (j.status, j.attempts) for k, j in failed.items()} == {k: (JobStatus.FAILED, 1) for k in ids}
    assert all("PermanentFailure: Malformed " in j.last_error for j in failed.values())
