"""The embedding models this installation can use."""

from __future__ import annotations

from typing import Protocol

from aioomi.ports.embedder import Embedder


class EmbedderCatalog(Protocol):
    """Embedders by model name. ``default`` is the one new knowledge bases use."""

    @property
    def default(self) -> Embedder: ...

    def get(self, model: str) -> Embedder | None:
        """The embedder of ``model``, or ``None`` when it is not configured here."""
        ...

    def models(self) -> list[str]: ...
