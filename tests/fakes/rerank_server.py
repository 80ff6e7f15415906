"""A fake ``/rerank`` API (the Cohere/Jina shape) as a plain ASGI app, served over real HTTP
for :class:`~aioomi.adapters.rerank.http_reranker.HttpReranker`. Scores come from a function
the test sets (``score``: query, document, index → float); ``hang_s`` delays the answer (a
timeout), ``status`` makes it fail; every request body is recorded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _by_shared_words(query: str, document: str, index: int) -> float:
    words = set(query.lower().split())
    return float(len(words & set(document.lower().split())))


@dataclass
class FakeReranker:
    score: Callable[[str, str, int], float] = _by_shared_words
    hang_s: float = 0.0
    status: int = 200
    raw: bytes | None = None
    """Answered as is, with status 200, instead of a well-formed answer."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)

    def reset(self) -> None:
        self.score, self.hang_s, self.status, self.raw = _by_shared_words, 0.0, 200, None
        self.requests.clear()
        self.authorizations.clear()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization")
        self.authorizations.append(auth.decode() if auth else None)
        if scope["method"] != "POST" or scope["path"] != "/v1/rerank":
            status, payload = 404, {"message": "not found"}
        else:
            request = json.loads(body)
            self.requests.append(request)
            if self.hang_s:
                await asyncio.sleep(self.hang_s)
            if self.status != 200:
                status, payload = self.status, {"message": "failure on demand"}
            else:
                scored = [
                    {"index": i, "relevance_score": self.score(request["query"], d, i)}
                    for i, d in enumerate(request["documents"])
                ]
                scored.sort(key=lambda r: -r["relevance_score"])
                status, payload = 200, {"model": request.get("model"), "results": scored[: request.get("top_n")]}
        data = self.raw if self.raw is not None and status == 200 else json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": data})
