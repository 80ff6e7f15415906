"""Embedders for tests: deterministic vectors from the words of a text (so texts sharing words
are near), with every call recorded, an optional delay and a hook run on each call."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import Awaitable, Callable, Sequence

_WORD = re.compile(r"[a-z0-9]+")


def word_vector(text: str, dimensions: int, salt: str = "") -> list[float]:
    """A unit vector: the sum of one pseudo-random direction per word of ``text``."""
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()) or ["<empty>"]:
        digest = hashlib.sha256(f"{salt}:{word}".encode()).digest()
        for i in range(dimensions):
            vector[i] += (digest[i % len(digest)] / 255.0) - 0.5 if (digest[(i * 7) % len(digest)] & 1) else 0.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class CountingEmbedder:
    """:class:`aioomi.ports.embedder.Embedder` that records each call's texts (``calls``)."""

    def __init__(
        self,
        model: str = "test-embedder-a",
        dimensions: int = 32,
        *,
        delay_s: float = 0.0,
        on_call: Callable[[Sequence[str]], Awaitable[None]] | None = None,
    ) -> None:
        self.model = model
        self.dimensions = dimensions
        self.delay_s = delay_s
        self.on_call = on_call
        self.calls: list[list[str]] = []

    @property
    def inputs(self) -> int:
        return sum(len(c) for c in self.calls)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if self.on_call is not None:
            await self.on_call(texts)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return [word_vector(t, self.dimensions, self.model) for t in texts]
