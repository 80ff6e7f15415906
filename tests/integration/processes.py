"""Running Aioomi as real processes in tests: a clean environment, output captured to files,
bounded waits, and a cleanup that never leaves a process behind (even when a test fails)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import psutil
import psycopg

from aioomi.settings import ENVIRONMENT

T = TypeVar("T")

AIOOMI = [sys.executable, "-m", "aioomi.entrypoints.cli"]


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without any Aioomi setting, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT.values()}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def database_url(conninfo: str) -> str:
    """The ``postgresql://`` URL form of a libpq conninfo (DATABASE_URL must be a URL)."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = quote(str(params.get("user") or ""), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(str(password), safe='')}@" if password else f"{user}@" if user else ""
    host = str(params.get("host") or "")
    port = params.get("port")
    dbname = quote(str(params.get("dbname") or ""), safe="")
    if host.startswith("/"):  # a Unix socket directory goes in the query string
        query = f"?host={quote(host, safe='/')}" + (f"&port={port}" if port else "")
        return f"postgresql://{auth}/{dbname}{query}"
    return f"postgresql://{auth}{host}{':' + str(port) if port else ''}/{dbname}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], T], *, timeout: float, interval: float = 0.05, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


async def eventually(
    predicate: Callable[[], Awaitable[T]], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> T:
    """The async twin of :func:`wait_for`, for predicates that query the database."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


class Process:
    """A child process whose stdout and stderr go to files (no pipe can fill up and block it)."""

    def __init__(self, args: Sequence[str], *, env: dict[str, str], log_dir: Path, name: str) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.args = list(args)
        self._stdout_path = log_dir / f"{name}.stdout"
        self._stderr_path = log_dir / f"{name}.stderr"
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            # Its own session: a Ctrl-C in the terminal reaches pytest, not the children.
            self.popen = subprocess.Popen(
                self.args, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def stdout(self) -> str:
        return self._stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self._stderr_path.read_text(errors="replace")

    def describe(self) -> str:
        return (
            f"--- {self.name} (pid {self.pid}, exit {self.popen.returncode}): {' '.join(self.args)}\n"
            f"--- stdout:\n{self.stdout}\n--- stderr:\n{self.stderr}"
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """The exit code; fails the test (with the process's output) if it runs past ``timeout``."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout} s\n{self.describe()}") from None

    def wait_for_output(self, text: str, *, timeout: float) -> None:
        """Wait until ``text`` appears on stdout; fail at once if the process exits first."""
        wait_for(
            lambda: text in self.stdout or not self.alive(), timeout=timeout, what=f"{self.name} to print {text!r}"
        )
        if text not in self.stdout:
            raise AssertionError(f"{self.name} exited before printing {text!r}\n{self.describe()}")

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace``: used in cleanups, never fails."""
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


@contextmanager
def processes(log_dir: Path) -> Iterator[Callable[..., Process]]:
    """Yields ``spawn(args, env=..., name=...)``; every process spawned is stopped on the way out,
    and the output of all of them is printed when the block fails (pytest shows it)."""
    started: list[Process] = []

    def spawn(args: Sequence[str], *, env: dict[str, str], name: str) -> Process:
        process = Process(args, env=env, log_dir=log_dir, name=name)
        started.append(process)
        return process

    try:
        yield spawn
    except BaseException:
        for process in started:
            print(process.describe())
        raise
    finally:
        for process in started:
            process.stop()


def postgres_processes_of(data_dir: Path) -> list[psutil.Process]:
    """Running ``postgres`` processes whose command line names ``data_dir``."""
    wanted = str(data_dir.resolve())
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        try:
            if proc.info["name"] == "postgres" and any(wanted in part for part in proc.info["cmdline"] or ()):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def kill_postgres_of(data_dir: Path) -> None:
    """Last-resort cleanup for a test that failed with an embedded server still running."""
    procs = postgres_processes_of(data_dir)
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=5)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
