"""Shared by the chat benchmarks: start the app server in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER = Path(__file__).with_name("_chat_server.py")


@contextmanager
def chat_server(*args: str) -> Iterator[tuple[int, str]]:
    """``(port, public_key)`` of a server process started with ``args``; stopped afterwards."""
    with chat_server_process(*args) as (port, key, _):
        yield port, key


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def chat_server_process(*args: str, src: str | None = None) -> Iterator[tuple[int, str, int]]:
    """``(port, public_key, pid)`` of a server process started with ``args``; stopped afterwards.
    ``src``: run the application from that source tree (another version, for a comparison)."""
    env = {"AIOOMI_LOG_LEVEL": "warning", **__import__("os").environ}
    if src is not None:
        env["PYTHONPATH"] = src
    process = subprocess.Popen([sys.executable, str(SERVER), *args], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "READY":
            raise RuntimeError(f"the bench server did not start: {line}")
        yield int(line[1]), line[2], process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
