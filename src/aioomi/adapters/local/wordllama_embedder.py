"""An embedder that runs offline: WordLlama ships its weights in the wheel."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import wordllama
from wordllama import WordLlama

MODEL = "wordllama-l2-supercat-256"
DIMENSIONS = 256


@lru_cache(maxsize=1)
def _model():
    # WordLlama looks for its tokenizer online unless pointed at its own package folder.
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=DIMENSIONS)


class WordLlamaEmbedder:
    """:class:`aioomi.ports.embedder.Embedder` with WordLlama (``l2_supercat``, 256 dims):
    static word vectors pooled per text, a few milliseconds per hundred texts on a CPU.
    No network, no key; weaker than a hosted model (see docs/knowledge.md)."""

    model = MODEL
    dimensions = DIMENSIONS

    def __init__(self, batch_size: int = 256) -> None:
        self._batch_size = batch_size

    def embed_now(self, texts: Sequence[str]) -> list[list[float]]:
        """Synchronous form, for scripts and benchmarks."""
        if not texts:
            return []
        vectors = _model().embed(list(texts), norm=True, batch_size=self._batch_size)
        return vectors.astype(float).tolist()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_now, texts)
