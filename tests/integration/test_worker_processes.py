"""Worker processes sharing one database: each job runs once, a dead worker's job is taken over
after its lease, and SIGTERM stops a worker gracefully.

The workers are real OS processes (``worker_process.py``: the real ``Worker`` over the real
``PostgresJobStore``); the test reads what they did from the ``jobs`` table and from the
``job_runs`` table their handler writes to.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from aioomi.container import Container
from aioomi.domain.model.jobs import NewJob
from tests.integration.processes import AIOOMI, clean_env, database_url, eventually, processes
from tests.integration.worker_process import JOB_RUNS_TABLE, KIND

WORKER = str(Path(__file__).with_name("worker_process.py"))


async def _sql(conninfo: str, query: str, params: tuple = ()) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cur = await conn.execute(query, params)
        return await cur.fetchall() if cur.description else []


@pytest.fixture
async def job_runs(pg_conninfo: str) -> str:
    """The database, with the table the workers' handler records into."""
    await _sql(pg_conninfo, JOB_RUNS_TABLE)
    return pg_conninfo


def _worker_args(conninfo: str, *options: str) -> list[str]:
    return [sys.executable, WORKER, conninfo, *options]


async def _runs(conninfo: str, event: str) -> list[tuple[str, int, object]]:
    return await _sql(conninfo, "SELECT key, pid, at FROM job_runs WHERE event = %s ORDER BY at", (event,))


async def test_two_worker_processes_run_each_of_sixty_jobs_exactly_once(
    job_runs: str, postgres_container: Container, tmp_path: Path
) -> None:
    conninfo = job_runs
    with processes(tmp_path) as spawn:
        workers = [
            spawn(_worker_args(conninfo, "--concurrency", "2", "--sleep-ms", "30"), env=clean_env(), name=f"worker{i}")
            for i in (1, 2)
        ]
        for worker in workers:
            worker.wait_for_output("ready", timeout=30)

        store = postgres_container.job_store()
        job_of_key = {}
        for n in range(60):
            job_of_key[str(n)] = await store.enqueue(NewJob(kind=KIND, payload={"key": str(n)}))
        assert None not in job_of_key.values()

        async def all_done() -> bool:
            rows = await _sql(conninfo, "SELECT count(*) FROM jobs WHERE kind = %s AND status = 'done'", (KIND,))
            return rows[0][0] == 60

        await eventually(all_done, timeout=30, what="the 60 jobs to be done")

        finished = await _runs(conninfo, "finished")
        started = await _runs(conninfo, "started")
        ran = Counter(job_of_key[key] for key, _, _ in finished)
        assert ran == Counter({job_id: 1 for job_id in job_of_key.values()}), "each job must run exactly once"
        assert Counter(key for key, _, _ in started) == Counter({key: 1 for key in job_of_key})

        jobs = await _sql(conninfo, "SELECT id, status, attempts, locked_by FROM jobs WHERE kind = %s", (KIND,))
        assert sorted(jobs) == sorted((job_id, "done", 1, None) for job_id in job_of_key.values())

        by_worker = Counter(pid for _, pid, _ in finished)
        assert set(by_worker) == {w.pid for w in workers}, f"both workers must take jobs: {by_worker}"

        for worker in workers:
            worker.signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(timeout=15) == 0, worker.describe()
            assert "stopped" in worker.stdout


async def test_a_job_whose_worker_is_killed_is_taken_over_after_the_lease_and_done_once(
    job_runs: str, postgres_container: Container, tmp_path: Path
) -> None:
    conninfo = job_runs
    lease_s = 2.0
    with processes(tmp_path) as spawn:
        workers = {
            w.pid: w
            for w in (
                spawn(_worker_args(conninfo, "--lease", str(lease_s)), env=clean_env(), name=f"worker{i}")
                for i in (1, 2)
            )
        }
        for worker in workers.values():
            worker.wait_for_output("ready", timeout=30)

        # Its first start hangs, so whichever worker claims it is in the middle of it when killed.
        job_id = await postgres_container.job_store().enqueue(
            NewJob(kind=KIND, payload={"key": "slow", "hold_first_start_s": 120})
        )
        started = await eventually(lambda: _runs(conninfo, "started"), timeout=15, what="the job to start")
        victim = workers.pop(started[0][1])
        (survivor,) = workers.values()
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL

        async def done() -> bool:
            rows = await _sql(conninfo, "SELECT status FROM jobs WHERE id = %s", (job_id,))
            return rows[0][0] == "done"

        await eventually(done, timeout=lease_s + 15, what="the survivor to finish the job")

        started = await _runs(conninfo, "started")
        finished = await _runs(conninfo, "finished")
        assert [(key, pid) for key, pid, _ in started] == [("slow", victim.pid), ("slow", survivor.pid)]
        assert [(key, pid) for key, pid, _ in finished] == [("slow", survivor.pid)]
        # Not handed out while the dead worker's lease was still running.
        assert (started[1][2] - started[0][2]).total_seconds() >= lease_s * 0.75

        ((status, attempts, locked_by, finished_at, last_error),) = await _sql(
            conninfo, "SELECT status, attempts, locked_by, finished_at, last_error FROM jobs WHERE id = %s", (job_id,)
        )
        assert (status, attempts, locked_by) == ("done", 2, None)
        assert finished_at is not None
        assert "lease expired" in last_error

        survivor.signal(signal.SIGTERM)
        assert survivor.wait(timeout=15) == 0, survivor.describe()


async def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(
    job_runs: str, postgres_container: Container, tmp_path: Path
) -> None:
    conninfo = job_runs
    with processes(tmp_path) as spawn:
        worker = spawn(_worker_args(conninfo, "--grace", "20"), env=clean_env(), name="worker")
        worker.wait_for_output("ready", timeout=30)
        job_id = await postgres_container.job_store().enqueue(
            NewJob(kind=KIND, payload={"key": "k", "hold_first_start_s": 1.5})
        )
        await eventually(lambda: _runs(conninfo, "started"), timeout=15, what="the job to start")
        worker.signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, worker.describe()

    assert [(key, pid) for key, pid, _ in await _runs(conninfo, "finished")] == [("k", worker.pid)]
    assert await _sql(conninfo, "SELECT status, attempts, locked_by FROM jobs WHERE id = %s", (job_id,)) == [
        ("done", 1, None)
    ]


async def test_sigterm_hands_a_job_back_when_the_grace_period_runs_out(
    job_runs: str, postgres_container: Container, tmp_path: Path
) -> None:
    conninfo = job_runs
    with processes(tmp_path) as spawn:
        worker = spawn(_worker_args(conninfo, "--grace", "0.5"), env=clean_env(), name="worker")
        worker.wait_for_output("ready", timeout=30)
        job_id = await postgres_container.job_store().enqueue(
            NewJob(kind=KIND, payload={"key": "k", "hold_first_start_s": 120})
        )
        await eventually(lambda: _runs(conninfo, "started"), timeout=15, what="the job to start")
        worker.signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0, worker.describe()

    assert await _runs(conninfo, "finished") == []
    ((status, locked_by, last_error, attempts),) = await _sql(
        conninfo, "SELECT status, locked_by, last_error, attempts FROM jobs WHERE id = %s", (job_id,)
    )
    assert (status, locked_by) == ("queued", None), "the job goes back to the queue for another worker"
    assert last_error == "released: the worker shut down"
    assert attempts == 0, "an interrupted start does not count against max_attempts"


async def test_the_aioomi_worker_command_runs_its_periodic_jobs_and_stops_on_sigterm(
    pg_conninfo: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=database_url(pg_conninfo), AIOOMI_WORKER_POLL_S="0.2")
    with processes(tmp_path) as spawn:
        worker = spawn([*AIOOMI, "worker"], env=env, name="aioomi-worker")

        async def periodic_jobs_done() -> list[tuple]:
            if not worker.alive():
                raise AssertionError(f"aioomi worker exited\n{worker.describe()}")
            return await _sql(pg_conninfo, "SELECT kind FROM jobs WHERE status = 'done' AND dedupe_key IS NOT NULL")

        await eventually(periodic_jobs_done, timeout=30, interval=0.1, what="the worker's periodic jobs to run")
        worker.signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, worker.describe()
        assert "Traceback" not in worker.stderr, worker.describe()
    assert await _sql(pg_conninfo, "SELECT id FROM jobs WHERE status = 'running'") == []
