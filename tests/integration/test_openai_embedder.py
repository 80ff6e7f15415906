"""OpenAIEmbedder through the real SDK against the fake OpenAI server over HTTP."""

from __future__ import annotations

import time

import numpy as np
import pytest
from testkit.openai_server import fake_embedding

from aioomi.adapters.openai.embedder import OpenAIEmbedder
from aioomi.domain.model.knowledge import EmbeddingRejected, EmbeddingUnavailable


def embedder(fake_openai, **kw) -> OpenAIEmbedder:
    kw.setdefault("backoff_s", 0.01)
    return OpenAIEmbedder(api_key="sk-test", base_url=fake_openai.base_url, **kw)


@pytest.mark.parametrize("encoding_format", ["base64", "float"])
async def test_vectors_arrive_in_order_in_either_encoding(fake_openai, encoding_format: str) -> None:
    texts = ["refunds take fourteen days", "shipping to Europe", "opening hours"]
    vectors = await embedder(fake_openai, encoding_format=encoding_format).embed(texts)
    assert len(vectors) == 3 and all(len(v) == 1536 for v in vectors)
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(vector, fake_embedding("text-embedding-3-small", text, 1536), rtol=1e-6)
    (call,) = fake_openai.fake.calls()
    assert call.body.get("encoding_format") == encoding_format and call.inputs == 3


async def test_shortened_dimensions_are_asked_for(fake_openai) -> None:
    vectors = await embedder(fake_openai, model="text-embedding-3-large", dimensions=256).embed(["a text"])
    assert len(vectors[0]) == 256
    assert fake_openai.fake.calls()[0].body["dimensions"] == 256


async def test_batches_respect_the_input_limit(fake_openai) -> None:
    texts = [f"item {i}" for i in range(5000)]
    vectors = await embedder(fake_openai, dimensions=8).embed(texts)  # small vectors keep the test fast
    assert len(vectors) == 5000
    calls = fake_openai.fake.calls()
    assert sorted(c.inputs for c in calls) == [904, 2048, 2048]
    assert all(c.answered == 200 for c in calls)
    np.testing.assert_allclose(vectors[4321], fake_embedding("text-embedding-3-small", "item 4321", 8), rtol=1e-6)


async def test_batches_respect_the_token_limit(fake_openai) -> None:
    text = " ".join(["word"] * 999) + " end"  # 1,000 tokens
    vectors = await embedder(fake_openai, dimensions=8).embed([text] * 700)
    assert len(vectors) == 700
    calls = fake_openai.fake.calls()
    assert [c.answered for c in calls] == [200, 200, 200]
    assert sorted(c.tokens for c in calls) == [100_000, 300_000, 300_000]


async def test_429_with_retry_after_is_waited_out_then_succeeds(fake_openai) -> None:
    fake_openai.fake.fail_next(2, status=429, retry_after="0.3")
    started = time.monotonic()
    vectors = await embedder(fake_openai).embed(["hello"])
    assert time.monotonic() - started >= 0.6
    assert len(vectors) == 1
    assert [c.answered for c in fake_openai.fake.calls()] == [429, 429, 200]


async def test_server_errors_are_retried(fake_openai) -> None:
    fake_openai.fake.fail_next(3, status=500)
    assert len(await embedder(fake_openai).embed(["hello"])) == 1
    assert [c.answered for c in fake_openai.fake.calls()] == [500, 500, 500, 200]


async def test_persistent_failure_becomes_unavailable(fake_openai) -> None:
    fake_openai.fake.fail_next(10, status=503)
    with pytest.raises(EmbeddingUnavailable) as caught:
        await embedder(fake_openai, max_retries=2).embed(["hello"])
    assert caught.value.code == "embedding_unavailable"
    assert len(fake_openai.fake.calls()) == 3


async def test_timeout_becomes_unavailable(fake_openai) -> None:
    fake_openai.fake.hang_next(2, seconds=2.0)
    started = time.monotonic()
    with pytest.raises(EmbeddingUnavailable, match="timed out"):
        await embedder(fake_openai, timeout_s=0.3, max_retries=1).embed(["hello"])
    assert time.monotonic() - started < 1.8


async def test_a_refused_request_is_not_retried(fake_openai) -> None:
    fake_openai.fake.fail_next(1, status=401)
    with pytest.raises(EmbeddingRejected) as caught:
        await embedder(fake_openai).embed(["hello"])
    assert caught.value.code == "embedding_rejected"
    assert len(fake_openai.fake.calls()) == 1


async def test_unknown_model_is_rejected(fake_openai) -> None:
    with pytest.raises(EmbeddingRejected, match="404"):
        await embedder(fake_openai, model="no-such-model", dimensions=8).embed(["hello"])
