"""The JobStore and transactional JobQueue contract, on memory and on Postgres."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.jobs import JobStatus, NewJob
from aioomi.entrypoints.worker.runner import Worker

KINDS = frozenset({"test.a", "test.b"})
LEASE = timedelta(seconds=30)


async def test_enqueued_job_is_claimed_once_then_completed(container) -> None:
    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a", payload={"n": 1}))
    claimed = await store.claim("w1", KINDS, LEASE)
    assert claimed is not None and claimed.id == job_id
    assert claimed.status is JobStatus.RUNNING and claimed.attempts == 1 and claimed.payload == {"n": 1}
    assert await store.claim("w2", KINDS, LEASE) is None
    await store.complete(job_id, "w1")
    done = await store.get(job_id)
    assert done.status is JobStatus.DONE and done.finished_at is not None and done.locked_by is None
    assert await store.claim("w2", KINDS, LEASE) is None


async def test_claim_takes_only_the_asked_kinds(container) -> None:
    store = container.job_store()
    await store.enqueue(NewJob(kind="other.kind"))
    assert await store.claim("w1", KINDS, LEASE) is None
    assert await store.claim("w1", frozenset({"other.kind"}), LEASE) is not None


async def test_jobs_due_later_wait(container) -> None:
    store = container.job_store()
    later = container.clock().now() + timedelta(hours=1)
    await store.enqueue(NewJob(kind="test.a", run_at=later))
    assert await store.claim("w1", KINDS, LEASE) is None


async def test_dedupe_key_makes_enqueue_idempotent(container) -> None:
    store = container.job_store()
    first = await store.enqueue(NewJob(kind="test.a", dedupe_key="slot-1"))
    second = await store.enqueue(NewJob(kind="test.a", dedupe_key="slot-1"))
    assert first is not None and second is None
    assert await store.claim("w1", KINDS, LEASE) is not None
    assert await store.claim("w1", KINDS, LEASE) is None


async def test_failure_with_retry_requeues_and_without_fails_for_good(container) -> None:
    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a", max_attempts=2))
    await store.claim("w1", KINDS, LEASE)
    await store.fail(job_id, "w1", "boom", timedelta(0))
    retried = await store.get(job_id)
    assert retried.status is JobStatus.QUEUED and retried.last_error == "boom"
    again = await store.claim("w1", KINDS, LEASE)
    assert again.id == job_id and again.attempts == 2
    await store.fail(job_id, "w1", "boom twice", None)
    failed = await store.get(job_id)
    assert failed.status is JobStatus.FAILED and failed.finished_at is not None
    assert await store.claim("w1", KINDS, LEASE) is None


async def test_a_retry_waits_its_delay_on_the_store_s_own_clock(container) -> None:
    """The retry's delay counts from the store's now (the database's ``now()`` on Postgres, which
    also decides when a job is due), not from the caller's clock: a worker whose clock lags an
    hour behind must not make a retry due at once."""
    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a", max_attempts=3))
    await store.claim("w1", KINDS, LEASE)
    await store.fail(job_id, "w1", "boom", timedelta(minutes=5))
    retried = await store.get(job_id)
    assert retried.status is JobStatus.QUEUED and retried.attempts == 1
    assert await store.claim("w1", KINDS, LEASE) is None


async def test_a_worker_whose_clock_lags_does_not_make_its_retry_due_at_once(container) -> None:
    """The worker's clock a day behind the store's: the failed job still waits its backoff (it
    used to be queued again at the worker's "now + 2 s", long past for the store, and was retried
    at once until it failed for good)."""
    starts = 0

    async def flaky(_: dict[str, Any]) -> None:
        nonlocal starts
        starts += 1
        raise RuntimeError("temporary")

    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a", max_attempts=3))
    lagging = ManualClock(datetime.now(UTC) - timedelta(days=1))
    worker = Worker(store, {"test.a": flaky}, lagging, poll_interval=timedelta(milliseconds=10))
    await worker.run_until_idle()
    await worker.run_until_idle()
    assert starts == 1
    job = await store.get(job_id)
    assert job.status is JobStatus.QUEUED and job.attempts == 1


async def test_only_the_holder_can_finish_a_job(container) -> None:
    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a"))
    await store.claim("w1", KINDS, LEASE)
    await store.complete(job_id, "intruder")
    assert (await store.get(job_id)).status is JobStatus.RUNNING
    assert await store.heartbeat(job_id, "intruder", LEASE) is False
    assert await store.heartbeat(job_id, "w1", LEASE) is True


async def test_expired_lease_hands_the_job_to_another_worker(container) -> None:
    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a"))
    await store.claim("dead-worker", KINDS, timedelta(milliseconds=50))
    assert await store.requeue_expired() == 0
    await asyncio.sleep(0.2)
    assert await store.requeue_expired() == 1
    reclaimed = await store.claim("w2", KINDS, LEASE)
    assert reclaimed.id == job_id and reclaimed.attempts == 2
    # The dead worker coming back cannot complete what it no longer holds.
    await store.complete(job_id, "dead-worker")
    assert (await store.get(job_id)).status is JobStatus.RUNNING


async def test_concurrent_claims_never_hand_out_a_job_twice(container) -> None:
    store = container.job_store()
    ids = {await store.enqueue(NewJob(kind="test.b", payload={"i": i})) for i in range(40)}

    async def drain(worker: str) -> list[str]:
        got = []
        while (job := await store.claim(worker, KINDS, LEASE)) is not None:
            got.append(job.id)
        return got

    results = await asyncio.gather(*(drain(f"w{i}") for i in range(5)))
    claimed = [job_id for result in results for job_id in result]
    assert sorted(claimed) == sorted(ids)


async def test_purge_finished_removes_only_old_finished_jobs(container) -> None:
    store = container.job_store()
    done_id = await store.enqueue(NewJob(kind="test.a"))
    queued_id = await store.enqueue(NewJob(kind="test.b", run_at=container.clock().now() + timedelta(days=1)))
    await store.claim("w1", KINDS, LEASE)
    await store.complete(done_id, "w1")
    assert await store.purge_finished(container.clock().now() - timedelta(hours=1), 100) == 0
    assert await store.purge_finished(container.clock().now() + timedelta(seconds=5), 100) == 1
    assert await store.get(done_id) is None
    assert (await store.get(queued_id)).status is JobStatus.QUEUED


async def test_unit_of_work_enqueues_only_on_commit(container) -> None:
    store = container.job_store()
    async with container.uow()(account_id=None) as uow:
        await uow.jobs.enqueue(NewJob(kind="test.a", payload={"kept": False}))
    assert await store.claim("w1", KINDS, LEASE) is None

    with pytest.raises(RuntimeError):
        async with container.uow()(account_id=None) as uow:
            await uow.jobs.enqueue(NewJob(kind="test.a", payload={"kept": False}))
            raise RuntimeError("the use case failed")
    assert await store.claim("w1", KINDS, LEASE) is None

    async with container.uow()(account_id=None) as uow:
        await uow.jobs.enqueue(NewJob(kind="test.a", payload={"kept": True}))
        await uow.commit()
    job = await store.claim("w1", KINDS, LEASE)
    assert job is not None and job.payload == {"kept": True}


async def test_a_released_job_is_queued_again_without_counting_the_start(container) -> None:
    store = container.job_store()
    job_id = await store.enqueue(NewJob(kind="test.a", max_attempts=1))
    await store.claim("w1", KINDS, LEASE)
    await store.release(job_id, "intruder")
    assert (await store.get(job_id)).status is JobStatus.RUNNING
    await store.release(job_id, "w1")
    released = await store.get(job_id)
    assert released.status is JobStatus.QUEUED and released.attempts == 0 and released.locked_by is None
    again = await store.claim("w2", KINDS, LEASE)
    assert again is not None and again.id == job_id and again.attempts == 1


async def test_an_account_holds_at_most_its_concurrency_in_running_jobs(container) -> None:
    store = container.job_store()  # the settings' worker_account_concurrency: 2
    for n in range(5):
        await store.enqueue(NewJob(kind="test.a", payload={"account_id": "acct_busy", "n": n}))
    await store.enqueue(NewJob(kind="test.a", payload={"n": "system"}))  # no account: never capped
    claimed = [await store.claim(f"w{i}", KINDS, LEASE) for i in range(4)]
    # the system job goes second: its group has fewer running jobs than the busy account
    assert [c.payload.get("account_id") for c in claimed if c] == ["acct_busy", None, "acct_busy"]
    assert claimed[3] is None  # the busy account waits for one of its two to finish
    await store.complete(claimed[0].id, "w0")
    again = await store.claim("w9", KINDS, LEASE)
    assert again is not None and again.payload["account_id"] == "acct_busy"


async def test_a_big_backlog_of_one_account_does_not_starve_another(container) -> None:
    """Account A enqueues 300 jobs (a crawl's pages), then account B one upload. With one
    worker taking a job, finishing it and taking the next, B's job is taken second: at most one
    job is ahead of it (A's oldest, taken before B's existed in the order)."""
    store = container.job_store()
    for n in range(300):
        await store.enqueue(NewJob(kind="test.a", payload={"account_id": "acct_a", "n": n}))
    upload = await store.enqueue(NewJob(kind="test.a", payload={"account_id": "acct_b", "n": 0}))
    taken = []
    for _ in range(4):
        job = await store.claim("w1", KINDS, LEASE)
        assert job is not None
        taken.append(job.payload["account_id"])
        await store.complete(job.id, "w1")
    assert taken[:2] == ["acct_a", "acct_b"]
    assert taken[2:] == ["acct_a", "acct_a"]  # then A's backlog goes on
    assert (await store.get(upload)).status is JobStatus.DONE
