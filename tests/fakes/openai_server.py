"""A fake OpenAI API of our own, as a plain ASGI app: the official SDK talks to it over real
HTTP with ``base_url``. Deterministic answers, request counting, and faults on demand.

Routes live in ``FakeOpenAI.routes`` (path -> handler), so chat completions can join later.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import bpe_openai
import numpy as np

MODEL_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000
MAX_INPUT_TOKENS = 8192

_encoding = bpe_openai.get_encoding("cl100k_base")


def fake_embedding(model: str, text: str, dimensions: int) -> np.ndarray:
    """The vector the fake returns for ``text``: unit length, seeded by model and text."""
    seed = int.from_bytes(hashlib.sha256(f"{model}\x00{text}".encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32)
    return vector / np.linalg.norm(vector)


@dataclass
class Fault:
    status: int = 500
    retry_after: str | None = None
    hang_s: float = 0.0


@dataclass
class RecordedRequest:
    path: str
    body: dict[str, Any]
    answered: int = 0
    inputs: int = 0
    tokens: int = 0


Response = tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class FakeOpenAI:
    """State and behaviour of the fake; ``__call__`` is the ASGI app."""

    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.routes: dict[str, Callable[[RecordedRequest], Awaitable[Response]]] = {
            "/v1/embeddings": self.embeddings,
        }

    # Controls for tests ------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()

    def fail_next(self, count: int, status: int = 500, retry_after: str | None = None) -> None:
        """The next ``count`` requests answer ``status`` (with ``Retry-After`` if given)."""
        with self.lock:
            self.faults.extend(Fault(status=status, retry_after=retry_after) for _ in range(count))

    def hang_next(self, count: int, seconds: float) -> None:
        """The next ``count`` requests wait ``seconds`` before answering normally."""
        with self.lock:
            self.faults.extend(Fault(status=200, hang_s=seconds) for _ in range(count))

    def calls(self, path: str = "/v1/embeddings") -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    # ASGI ----------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        try:
            body = json.loads(b"".join(chunks) or b"{}")
        except json.JSONDecodeError:
            body = None
        request = RecordedRequest(path=path, body=body if isinstance(body, dict) else {})
        with self.lock:
            self.requests.append(request)
            fault = self.faults.pop(0) if self.faults else None
        if fault and fault.hang_s:
            await asyncio.sleep(fault.hang_s)
        if fault and fault.status != 200:
            headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
            kind = "rate_limit_exceeded" if fault.status == 429 else "server_error"
            status, payload, extra = fault.status, error_body(f"Injected fault {fault.status}", kind), headers
        elif scope["method"] != "POST" or path not in self.routes:
            status, payload, extra = 404, error_body(f"Unknown route {scope['method']} {path}", "invalid_request_error"), {}
        elif body is None:
            status, payload, extra = 400, error_body("We could not parse the JSON body of your request.", "invalid_request_error"), {}
        else:
            status, payload, extra = await self.routes[path](request)
        request.answered = status
        raw = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})

    async def embeddings(self, request: RecordedRequest) -> Response:
        body = request.body
        model, raw_input = body.get("model"), body.get("input")
        if model not in MODEL_DIMENSIONS:
            return 404, error_body(f"The model `{model}` does not exist or you do not have access to it.",
                                   "invalid_request_error", code="model_not_found"), {}
        dimensions = body.get("dimensions") or MODEL_DIMENSIONS[model]
        texts = [raw_input] if isinstance(raw_input, str) else raw_input
        if not isinstance(texts, list) or not texts:
            return 400, error_body("'input' must be a non-empty string or array.", "invalid_request_error", param="input"), {}
        if len(texts) > MAX_INPUTS:
            return 400, error_body(f"'input' must have at most {MAX_INPUTS} items.", "invalid_request_error", param="input"), {}
        tokens = [t if isinstance(t, list) else _encoding.encode(t) for t in texts]
        request.inputs, request.tokens = len(texts), sum(len(t) for t in tokens)
        if any(len(t) > MAX_INPUT_TOKENS for t in tokens) or any(t == "" for t in texts):
            return 400, error_body("An input is empty or longer than the model's context.", "invalid_request_error", param="input"), {}
        if request.tokens > MAX_REQUEST_TOKENS:
            return 400, error_body(f"Requested {request.tokens} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
                                   "invalid_request_error", param="input", code="max_tokens_per_request"), {}
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = fake_embedding(model, text if isinstance(text, str) else json.dumps(text), dimensions)
            encoded: Any = base64.b64encode(vector.astype("<f4").tobytes()).decode() if as_base64 else vector.tolist()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        usage = {"prompt_tokens": request.tokens, "total_tokens": request.tokens}
        return 200, {"object": "list", "data": data, "model": model, "usage": usage}, {}


def error_body(message: str, kind: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """An error in OpenAI's shape."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
