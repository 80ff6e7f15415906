"""Reordering search candidates by a model that reads the question and each passage together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Reranker(Protocol):
    """A cross-encoder behind an API (the ``/rerank`` shape of Cohere, Jina, Hugging Face TEI,
    vLLM and Infinity). Optional: search works without one.

    Failures (timeout, refusal, unreadable answer) leave as
    :class:`~aioomi.domain.model.knowledge.RerankUnavailable`; the caller keeps its own order.
    """

    async def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order (higher is better)."""
        ...
