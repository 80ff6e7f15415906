"""Pytest fixtures serving :class:`FakeReranker` with uvicorn on 127.0.0.1 in a background
thread (like the fake OpenAI server)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from testkit.serving import loopback_socket, serve_in_thread

from tests.fakes.rerank_server import FakeReranker


@dataclass
class ServedFakeReranker:
    fake: FakeReranker
    url: str


@pytest.fixture(scope="session")
def _served_fake_reranker() -> Iterator[ServedFakeReranker]:
    fake = FakeReranker()
    sock = loopback_socket()
    port = sock.getsockname()[1]
    with serve_in_thread(fake, sock, name="fake-reranker", lifespan="off", start_timeout_s=10, stop_timeout_s=5):
        yield ServedFakeReranker(fake=fake, url=f"http://127.0.0.1:{port}/v1/rerank")


@pytest.fixture
def fake_reranker(_served_fake_reranker: ServedFakeReranker) -> Iterator[ServedFakeReranker]:
    """The running fake, with no recorded request and no fault."""
    _served_fake_reranker.fake.reset()
    yield _served_fake_reranker
    _served_fake_reranker.fake.reset()
