"""Embeddings from OpenAI (or any OpenAI-compatible endpoint) through the official SDK."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Sequence
from typing import Any

import openai
from openai import AsyncOpenAI

from aioomi.adapters.local.token_counter import count_tokens
from aioomi.domain.model.documents import batches_within
from aioomi.domain.model.knowledge import EmbeddingDimensionMismatch, EmbeddingRejected, EmbeddingUnavailable

DEFAULT_MODEL = "text-embedding-3-small"
KNOWN_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_REQUEST = 300_000
MAX_TOKENS_PER_INPUT = 8191


def batches(texts: Sequence[str], max_inputs: int, max_tokens: int) -> list[list[int]]:
    """Indexes of ``texts`` grouped in order so no group has more than ``max_inputs`` texts or
    ``max_tokens`` tokens."""
    costs = [count_tokens(text) for text in texts]
    for index, tokens in enumerate(costs):
        if tokens > MAX_TOKENS_PER_INPUT:
            raise EmbeddingRejected(f"Text {index} has {tokens} tokens; the model accepts {MAX_TOKENS_PER_INPUT}.")
    return batches_within(costs, max_inputs=max_inputs, max_tokens=max_tokens)


def _retry_after_s(error: openai.APIStatusError) -> float | None:
    headers = error.response.headers
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class OpenAIEmbedder:
    """:class:`aioomi.ports.embedder.Embedder` on the OpenAI embeddings API.

    Texts are sent in batches within the API's limits (``max_inputs`` texts and ``max_tokens``
    tokens, counted offline with ``bpe-openai``), at most ``max_concurrency`` requests at a
    time, each with a ``timeout_s`` limit. 429, 5xx, timeouts and connection errors are retried
    up to ``max_retries`` times with exponential backoff and jitter, waiting at least what the
    server's ``Retry-After`` asks (capped at ``max_backoff_s``). What still fails leaves as
    :class:`EmbeddingUnavailable`; a request the API refuses (bad key, bad input) as
    :class:`EmbeddingRejected`. Vectors travel as base64 (the SDK's default) unless
    ``encoding_format="float"``.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        dimensions: int | None = None,
        max_inputs: int = MAX_INPUTS_PER_REQUEST,
        max_tokens: int = MAX_TOKENS_PER_REQUEST,
        max_concurrency: int = 4,
        max_retries: int = 5,
        timeout_s: float = 60.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        encoding_format: str = "base64",
    ) -> None:
        if dimensions is None and model not in KNOWN_DIMENSIONS:
            raise ValueError(f"Give the dimensions of {model!r}; they are known only for {sorted(KNOWN_DIMENSIONS)}.")
        self._model = model
        self._dimensions = dimensions or KNOWN_DIMENSIONS[model]
        self._ask_dimensions = dimensions is not None and dimensions != KNOWN_DIMENSIONS.get(model)
        self._max_inputs = min(max_inputs, MAX_INPUTS_PER_REQUEST)
        self._max_tokens = min(max_tokens, MAX_TOKENS_PER_REQUEST)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._float = encoding_format == "float"
        # The SDK's own retries are off: ours honour Retry-After and end in domain errors.
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout_s)

    @property
    def model(self) -> str:
        return self._model

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if any(not t for t in texts):
            raise EmbeddingRejected("An empty text cannot be embedded.")
        groups = batches(texts, self._max_inputs, self._max_tokens)
        results = await asyncio.gather(*(self._embed_batch([texts[i] for i in group]) for group in groups))
        return [vector for result in results for vector in result]

    async def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        async with self._semaphore:
            for attempt in range(self._max_retries + 1):
                try:
                    return self._vectors(await self._request(batch), len(batch))
                except (openai.RateLimitError, openai.InternalServerError) as error:
                    last: Exception = error
                    wait = _retry_after_s(error)
                except (openai.APITimeoutError, openai.APIConnectionError) as error:
                    last, wait = error, None
                except openai.APIStatusError as error:
                    if error.status_code in (408, 409) or error.status_code >= 500:
                        last, wait = error, _retry_after_s(error)
                    else:
                        raise EmbeddingRejected(
                            f"The embedding API refused the request ({error.status_code}): {error.message}"
                        ) from error
                if attempt == self._max_retries:
                    break
                backoff = self._backoff_s * 2**attempt * (0.5 + random.random() / 2)  # noqa: S311 - retry jitter, not a secret
                await asyncio.sleep(min(max(backoff, wait or 0.0), self._max_backoff_s))
        reason = "timed out" if isinstance(last, openai.APITimeoutError) else type(last).__name__
        raise EmbeddingUnavailable(
            f"The embedding API failed after {self._max_retries + 1} attempts ({reason}).",
        ) from last

    async def _request(self, batch: list[str]):
        extra: dict[str, Any]
        if self._float:
            extra = {"encoding_format": "float"}
        else:
            extra = {}
        if self._ask_dimensions:
            extra["dimensions"] = self._dimensions
        return await self._client.embeddings.create(model=self._model, input=batch, **extra)

    def _vectors(self, response, expected: int) -> list[list[float]]:
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != expected:
            raise EmbeddingUnavailable(f"The embedding API returned {len(data)} vectors for {expected} texts.")
        vectors = [list(map(float, item.embedding)) for item in data]
        if any(len(v) != self._dimensions for v in vectors):
            raise EmbeddingDimensionMismatch(
                f"The embedding API returned vectors of another size than {self._dimensions}."
            )
        return vectors

    async def aclose(self) -> None:
        await self._client.close()
