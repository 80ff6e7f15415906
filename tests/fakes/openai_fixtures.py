"""Pytest fixtures serving :class:`FakeOpenAI` with uvicorn on 127.0.0.1, on a free port, in a
background thread. Register with ``pytest_plugins = ["tests.fakes.openai_fixtures"]``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from testkit.openai_server import FakeOpenAI
from testkit.serving import loopback_socket, serve_in_thread


@dataclass
class ServedFakeOpenAI:
    fake: FakeOpenAI
    base_url: str


@pytest.fixture(scope="session")
def _served_fake_openai() -> Iterator[ServedFakeOpenAI]:
    fake = FakeOpenAI()
    sock = loopback_socket()
    port = sock.getsockname()[1]
    with serve_in_thread(fake, sock, name="fake-openai", lifespan="off", start_timeout_s=10, stop_timeout_s=5):
        yield ServedFakeOpenAI(fake=fake, base_url=f"http://127.0.0.1:{port}/v1")


@pytest.fixture
def fake_openai(_served_fake_openai: ServedFakeOpenAI) -> Iterator[ServedFakeOpenAI]:
    """The running fake, with no recorded request and no pending fault."""
    _served_fake_openai.fake.reset()
    yield _served_fake_openai
    _served_fake_openai.fake.reset()
