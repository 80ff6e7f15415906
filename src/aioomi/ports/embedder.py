"""Turning text into vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    """Embeds texts with one model. The adapter batches, retries and respects the provider's
    limits; callers pass any number of texts.

    Failures leave as :class:`~aioomi.domain.model.knowledge.EmbeddingUnavailable` (retry
    later) or :class:`~aioomi.domain.model.knowledge.EmbeddingRejected` (do not retry).
    """

    @property
    def model(self) -> str:
        """The model name stored with every vector; vectors of different models never meet."""
        ...

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, each of :attr:`dimensions` floats."""
        ...
