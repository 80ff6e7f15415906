"""A fixed list of embedders, by model name."""

from __future__ import annotations

from collections.abc import Sequence

from aioomi.ports.closeable import Closeable
from aioomi.ports.embedder import Embedder


class StaticEmbedderCatalog:
    """:class:`aioomi.ports.embedder_catalog.EmbedderCatalog` over the embedders it is given;
    the first is the default."""

    def __init__(self, embedders: Sequence[Embedder]) -> None:
        if not embedders:
            raise ValueError("an embedder catalog needs at least one embedder")
        self._embedders = {e.model: e for e in reversed(embedders)}
        self._default = embedders[0]

    @property
    def default(self) -> Embedder:
        return self._default

    def get(self, model: str) -> Embedder | None:
        return self._embedders.get(model)

    def models(self) -> list[str]:
        return sorted(self._embedders)

    async def aclose(self) -> None:
        """Close the embedders that hold connections."""
        for embedder in self._embedders.values():
            if isinstance(embedder, Closeable):
                await embedder.aclose()
