"""Pytest fixtures serving :class:`FakeOpenAI` with uvicorn on 127.0.0.1, on a free port, in a
background thread. Register with ``pytest_plugins = ["tests.fakes.openai_fixtures"]``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from tests.fakes.openai_server import FakeOpenAI


@dataclass
class ServedFakeOpenAI:
    fake: FakeOpenAI
    base_url: str


@pytest.fixture(scope="session")
def _served_fake_openai() -> Iterator[ServedFakeOpenAI]:
    fake = FakeOpenAI()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="fake-openai")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)
    yield ServedFakeOpenAI(fake=fake, base_url=f"http://127.0.0.1:{port}/v1")
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def fake_openai(_served_fake_openai: ServedFakeOpenAI) -> Iterator[ServedFakeOpenAI]:
    """The running fake, with no recorded request and no pending fault."""
    _served_fake_openai.fake.reset()
    yield _served_fake_openai
    _served_fake_openai.fake.reset()
