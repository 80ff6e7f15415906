"""``aioomi serve`` with no configuration at all: it starts its own PostgreSQL in the data folder,
becomes ready, stops cleanly on SIGTERM (taking the database server down with it), and reuses
the same folder on the next start."""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from tests.integration.processes import (
    AIOOMI,
    Process,
    clean_env,
    free_port,
    kill_postgres_of,
    postgres_processes_of,
    processes,
    wait_for,
)

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


def _ready(process: Process, base: str) -> dict:
    def answer() -> dict | None:
        if not process.alive():
            raise AssertionError(f"aioomi serve exited before it was ready\n{process.describe()}")
        try:
            response = httpx.get(f"{base}/readyz", timeout=2)
        except httpx.TransportError:
            return None
        return response.json() if response.status_code == 200 else None

    return wait_for(answer, timeout=READY_TIMEOUT_S, interval=0.2, what="/readyz to answer 200")


def _embedded_conninfo(pgdata: Path) -> str:
    """Where the running embedded server listens, from its ``postmaster.pid`` (lines: pid, data
    dir, start time, port, socket directory, ...). Read directly: attaching through the library
    would make this test process one of the server's holders."""
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return psycopg.conninfo.make_conninfo(host=lines[4], port=lines[3], user="postgres", dbname="postgres")


def _applied(pgdata: Path) -> list[tuple]:
    with psycopg.connect(_embedded_conninfo(pgdata), connect_timeout=5) as conn:
        return conn.execute("SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version").fetchall()


def _serve_once(spawn, data_dir: Path, name: str) -> tuple[dict, list[tuple]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = spawn([*AIOOMI, "serve", "--port", str(port)], env=clean_env(AIOOMI_DATA_DIR=str(data_dir)), name=name)
    readiness = _ready(server, base)
    pgdata = data_dir / "pgdata"

    assert readiness["status"] == "ready"
    assert readiness["database"]["vector_version"], readiness
    assert readiness["database"]["pending_migrations"] == []
    assert postgres_processes_of(pgdata), "the embedded server runs on the data folder"
    docs = httpx.get(f"{base}/schema", timeout=5)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    applied = _applied(pgdata)
    assert len(applied) == readiness["database"]["applied_migrations"]

    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(timeout=STOP_TIMEOUT_S) == 0, server.describe()
    assert time.monotonic() - started < STOP_TIMEOUT_S
    assert "Traceback" not in server.stderr, server.describe()
    # The last holder stops the server: no postgres may outlive `aioomi serve`.
    wait_for(lambda: not postgres_processes_of(pgdata), timeout=10, what="the embedded postgres to exit")
    assert not (pgdata / "postmaster.pid").exists(), "the server was shut down cleanly"
    return readiness, applied


def test_serve_runs_on_its_own_embedded_postgres_and_reuses_the_data_folder(tmp_path: Path) -> None:
    # The data folder lives outside pytest's tmp_path, which concurrent pytest runs may prune
    # while the server still uses it (the logs stay in tmp_path).
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-e2e-")) / "aioomi"
    try:
        with processes(tmp_path / "logs") as spawn:
            first, applied_first = _serve_once(spawn, data_dir, "serve-first")
            assert (data_dir / "pgdata" / "PG_VERSION").exists()

            second, applied_second = _serve_once(spawn, data_dir, "serve-second")
            # Same data: the migrations recorded by the first run, untouched (same applied_at).
            assert applied_second == applied_first
            assert second["database"] == first["database"]
    finally:
        kill_postgres_of(data_dir / "pgdata")
        shutil.rmtree(data_dir.parent, ignore_errors=True)
