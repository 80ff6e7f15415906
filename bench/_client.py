"""Shared by the chat benchmarks: start the app server in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER = Path(__file__).with_name("_chat_server.py")


@contextmanager
def chat_server(*args: str) -> Iterator[tuple[int, str]]:
    """``(port, public_key)`` of a server process started with ``args``; stopped afterwards."""
    process = subprocess.Popen([sys.executable, str(SERVER), *args], stdout=subprocess.PIPE, text=True,
                               env={"AIOOMI_LOG_LEVEL": "warning", **__import__("os").environ})
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "READY":
            raise RuntimeError(f"the bench server did not start: {line}")
        yield int(line[1]), line[2]
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
