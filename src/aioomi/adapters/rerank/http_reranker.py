"""The common ``/rerank`` HTTP API (Cohere's and Jina's shape, also served by Hugging Face TEI's
OpenAI-style routes, vLLM and Infinity), with httpx."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import msgspec

from aioomi.domain.model.knowledge import RerankUnavailable

MAX_DOCUMENT_CHARS = 4_000


class _Result(msgspec.Struct):
    index: int
    relevance_score: float


class _Answer(msgspec.Struct):
    results: list[_Result]


class HttpReranker:
    """:class:`aioomi.ports.reranker.Reranker` over HTTP.

    Request: ``POST url`` with ``{"model", "query", "documents", "top_n"}`` (bearer ``api_key``
    when given); answer: ``{"results": [{"index", "relevance_score"}, …]}``. Any failure —
    timeout (``timeout_s``, default 3 s: the turn is waiting), connection error, non-2xx status,
    malformed or incomplete answer — raises :class:`RerankUnavailable`; the key is never logged.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url
        self._model = model
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), headers=headers, transport=transport, follow_redirects=False
        )

    async def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        if not documents:
            return []
        body: dict[str, object] = {
            "query": query,
            "documents": [d[:MAX_DOCUMENT_CHARS] for d in documents],
            "top_n": len(documents),
        }
        if self._model:
            body["model"] = self._model
        try:
            response = await self._client.post(self._url, json=body)
        except httpx.HTTPError as error:
            raise RerankUnavailable(f"The reranker could not be reached ({type(error).__name__}).") from None
        if response.status_code // 100 != 2:
            raise RerankUnavailable(f"The reranker answered HTTP {response.status_code}.")
        try:
            answer = msgspec.json.decode(response.content, type=_Answer)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise RerankUnavailable("The reranker's answer could not be read.") from None
        scores: list[float | None] = [None] * len(documents)
        for result in answer.results:
            if 0 <= result.index < len(documents):
                scores[result.index] = result.relevance_score
        if any(s is None for s in scores):
            raise RerankUnavailable("The reranker did not score every passage.")
        return [float(s) for s in scores if s is not None]

    async def aclose(self) -> None:
        await self._client.aclose()
