"""The job queue on Postgres: ``FOR UPDATE SKIP LOCKED`` claims with leases.

Why not a queue library: enqueueing has to join the caller's transaction (a document row and
its ingestion job commit together or not at all), which is one INSERT here; the queue's
tables are ordinary tables, so backups, retention and the privacy export see them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import Job, JobStatus, NewJob

_COLUMNS = (
    "id, kind, payload, status, attempts, max_attempts, run_at, created_at, dedupe_key, "
    "last_error, locked_by, locked_until, finished_at"
)

_INSERT = """
INSERT INTO jobs (id, kind, payload, run_at, max_attempts, dedupe_key)
VALUES (%(id)s, %(kind)s, %(payload)s, coalesce(%(run_at)s, now()), %(max_attempts)s, %(dedupe_key)s)
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id
"""


def _insert_params(job: NewJob) -> dict[str, object]:
    return {
        "id": new_id("job"),
        "kind": job.kind,
        "payload": Jsonb(job.payload),
        "run_at": job.run_at,
        "max_attempts": job.max_attempts,
        "dedupe_key": job.dedupe_key,
    }


def _job(row: dict[str, object]) -> Job:
    return Job(**{**row, "status": JobStatus(row["status"])})  # type: ignore[arg-type]


# Fair scheduling across accounts: a due job is taken from the account with the fewest running
# jobs, then the one served least recently (within this window), then the oldest; an account
# never holds more than its concurrency in running jobs (jobs without an account are not capped).
DEFAULT_ACCOUNT_CONCURRENCY = 2
FAIRNESS_WINDOW = timedelta(minutes=10)


class PostgresJobQueue:
    """Enqueues on the unit of work's connection, inside its transaction."""

    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        self._conn = conn

    async def enqueue(self, job: NewJob) -> str | None:
        with translated_errors():
            row = await (await self._conn.execute(_INSERT, _insert_params(job))).fetchone()
        return row[0] if row else None


class PostgresJobStore:
    """The worker's view of the queue; see :class:`aioomi.ports.job_queue.JobStore`."""

    def __init__(self, pool: AsyncConnectionPool, account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY) -> None:
        self._pool = pool
        self._account_concurrency = account_concurrency

    async def enqueue(self, job: NewJob) -> str | None:
        with translated_errors():
            async with self._pool.connection() as conn:
                row = await (await conn.execute(_INSERT, _insert_params(job))).fetchone()
        return row[0] if row else None

    async def claim(self, worker_id: str, kinds: frozenset[str], lease: timedelta) -> Job | None:
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(
                    f"""
                    UPDATE jobs SET status = 'running', attempts = attempts + 1,
                           locked_by = %(worker)s, locked_until = now() + %(lease)s
                    WHERE id = (
                        WITH accounts AS (
                            SELECT payload ->> 'account_id' AS account,
                                   count(*) FILTER (WHERE status = 'running') AS running,
                                   max(coalesce(finished_at, now())) AS served_at
                            FROM jobs
                            WHERE status = 'running'
                               OR (status IN ('done', 'failed') AND finished_at > now() - %(window)s)
                            GROUP BY 1
                        )
                        SELECT j.id FROM jobs j
                        LEFT JOIN accounts a ON a.account IS NOT DISTINCT FROM (j.payload ->> 'account_id')
                        WHERE j.status = 'queued' AND j.run_at <= now() AND j.kind = ANY(%(kinds)s)
                          AND (j.payload ->> 'account_id' IS NULL OR coalesce(a.running, 0) < %(cap)s)
                        ORDER BY coalesce(a.running, 0), a.served_at NULLS FIRST, j.run_at
                        FOR UPDATE OF j SKIP LOCKED
                        LIMIT 1
                    )
                    RETURNING {_COLUMNS}
                    """,
                    {
                        "worker": worker_id,
                        "lease": lease,
                        "kinds": sorted(kinds),
                        "window": FAIRNESS_WINDOW,
                        "cap": self._account_concurrency,
                    },
                )
                row = await cur.fetchone()
        return _job(row) if row else None

    async def heartbeat(self, job_id: str, worker_id: str, lease: timedelta) -> bool:
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    "UPDATE jobs SET locked_until = now() + %s WHERE id = %s AND locked_by = %s AND status = 'running'",
                    (lease, job_id, worker_id),
                )
                return cur.rowcount == 1

    async def complete(self, job_id: str, worker_id: str) -> None:
        with translated_errors():
            async with self._pool.connection() as conn:
                await conn.execute(
                    "UPDATE jobs SET status = 'done', finished_at = now(), locked_by = NULL, "
                    "locked_until = NULL WHERE id = %s AND locked_by = %s AND status = 'running'",
                    (job_id, worker_id),
                )

    async def fail(self, job_id: str, worker_id: str, error: str, retry_in: timedelta | None) -> None:
        with translated_errors():
            async with self._pool.connection() as conn:
                await conn.execute(
                    """
                    UPDATE jobs SET
                        status = CASE WHEN %(retry_in)s::interval IS NULL THEN 'failed' ELSE 'queued' END,
                        run_at = coalesce(now() + %(retry_in)s::interval, run_at),
                        finished_at = CASE WHEN %(retry_in)s::interval IS NULL THEN now() END,
                        last_error = left(%(error)s, 2000), locked_by = NULL, locked_until = NULL
                    WHERE id = %(id)s AND locked_by = %(worker)s AND status = 'running'
                    """,
                    {"retry_in": retry_in, "error": error, "id": job_id, "worker": worker_id},
                )

    async def release(self, job_id: str, worker_id: str) -> None:
        with translated_errors():
            async with self._pool.connection() as conn:
                await conn.execute(
                    "UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(), "
                    "last_error = 'released: the worker shut down', locked_by = NULL, locked_until = NULL "
                    "WHERE id = %s AND locked_by = %s AND status = 'running'",
                    (job_id, worker_id),
                )

    async def requeue_expired(self) -> int:
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    """
                    UPDATE jobs SET
                        status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                        finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
                        last_error = 'lease expired: the worker stopped while running the job',
                        locked_by = NULL, locked_until = NULL
                    WHERE status = 'running' AND locked_until < now()
                    """
                )
                return cur.rowcount

    async def get(self, job_id: str) -> Job | None:
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = %s", (job_id,))
                row = await cur.fetchone()
        return _job(row) if row else None

    async def purge_finished(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` done or failed jobs that finished before ``before``."""
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    """
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs
                        WHERE status IN ('done', 'failed') AND finished_at < %s
                        LIMIT %s FOR UPDATE SKIP LOCKED
                    )
                    """,
                    (before, limit),
                )
                return cur.rowcount
