"""A worker process for the integration tests: the real :class:`Worker` over the real
:class:`PostgresJobStore`, with one job kind, ``test.record``, that writes who ran what.

Each run of a ``test.record`` job inserts a ``started`` row into ``job_runs`` (the table the
test creates), sleeps, then inserts a ``finished`` row; a payload's ``hold_first_start_s``
makes the first start of that job hang, so a test can kill the worker in the middle of it.

    python worker_process.py CONNINFO [--lease S] [--poll S] [--concurrency N] [--sleep-ms MS]

Prints ``ready`` on stdout once it polls; SIGTERM or SIGINT stop it gracefully (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from datetime import timedelta
from typing import Any

from aioomi.adapters.local.system_clock import SystemClock
from aioomi.adapters.postgres.database import PostgresDatabase
from aioomi.adapters.postgres.job_store import PostgresJobStore
from aioomi.entrypoints.logging_setup import configure_logging
from aioomi.entrypoints.worker.runner import Worker

KIND = "test.record"

JOB_RUNS_TABLE = """
CREATE TABLE job_runs (
    key    text NOT NULL,
    pid    integer NOT NULL,
    event  text NOT NULL CHECK (event IN ('started', 'finished')),
    at     timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


async def run(args: argparse.Namespace) -> int:
    database = PostgresDatabase(args.conninfo, min_size=1, max_size=args.concurrency + 3, apply_migrations=False)
    await database.start()
    pool = database.pool
    pid = os.getpid()

    async def record(payload: dict[str, Any]) -> None:
        key = str(payload["key"])
        async with pool.connection() as conn:
            earlier = await (
                await conn.execute("SELECT count(*) FROM job_runs WHERE key = %s AND event = 'started'", (key,))
            ).fetchone()
            await conn.execute("INSERT INTO job_runs (key, pid, event) VALUES (%s, %s, 'started')", (key, pid))
        hold = payload.get("hold_first_start_s")
        await asyncio.sleep(float(hold) if hold and earlier[0] == 0 else args.sleep_ms / 1000)
        async with pool.connection() as conn:
            await conn.execute("INSERT INTO job_runs (key, pid, event) VALUES (%s, %s, 'finished')", (key, pid))

    worker = Worker(
        PostgresJobStore(pool),
        {KIND: record},
        SystemClock(),
        concurrency=args.concurrency,
        poll_interval=timedelta(seconds=args.poll),
        lease=timedelta(seconds=args.lease),
        shutdown_grace=timedelta(seconds=args.grace),
        worker_id=f"test-worker:{pid}",
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        print("ready", flush=True)
        await worker.run()
    finally:
        await database.stop()
    print("stopped", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("conninfo")
    parser.add_argument("--lease", type=float, default=10.0)
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--grace", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--sleep-ms", type=float, default=20.0)
    args = parser.parse_args()
    configure_logging("info", "json")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
