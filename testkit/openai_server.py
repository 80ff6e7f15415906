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
class ChatScript:
    """How the fake answers chat completions: the reply (split into one chunk per word), a
    delay before the first chunk and between chunks, a cut after ``cut_after`` chunks (the
    connection drops with no usage chunk and no ``[DONE]``), and whether the usage chunk comes
    when the request asks for it."""

    reply: str = "This answer comes from the fake model."
    first_token_delay_s: float = 0.0
    token_delay_s: float = 0.0
    cut_after: int | None = None
    send_usage: bool = True


@dataclass
class StreamPlan:
    """A streamed (SSE) answer the ASGI app sends chunk by chunk."""

    chunks: list[dict[str, Any]]
    first_delay_s: float = 0.0
    delay_s: float = 0.0
    cut_after: int | None = None


@dataclass
class FakeOpenAI:
    """State and behaviour of the fake; ``__call__`` is the ASGI app."""

    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    chat: ChatScript = field(default_factory=ChatScript)

    def __post_init__(self) -> None:
        self.routes: dict[str, Callable[[RecordedRequest], Awaitable[Response]]] = {
            "/v1/embeddings": self.embeddings,
            "/v1/chat/completions": self.chat_completions,
        }

    # Controls for tests ------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.chat = ChatScript()

    def script_chat(self, **changes: Any) -> None:
        """Change how chat completions answer (see :class:`ChatScript`) until the next reset."""
        with self.lock:
            self.chat = ChatScript(**changes)

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
            status, payload, extra = (
                404,
                error_body(f"Unknown route {scope['method']} {path}", "invalid_request_error"),
                {},
            )
        elif body is None:
            status, payload, extra = (
                400,
                error_body("We could not parse the JSON body of your request.", "invalid_request_error"),
                {},
            )
        else:
            status, payload, extra = await self.routes[path](request)
        request.answered = status
        if isinstance(payload, StreamPlan):
            await self._send_stream(send, payload)
            return
        raw = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})

    async def embeddings(self, request: RecordedRequest) -> Response:
        body = request.body
        model, raw_input = body.get("model"), body.get("input")
        if model not in MODEL_DIMENSIONS:
            return (
                404,
                error_body(
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "invalid_request_error",
                    code="model_not_found",
                ),
                {},
            )
        dimensions = body.get("dimensions") or MODEL_DIMENSIONS[model]
        texts = [raw_input] if isinstance(raw_input, str) else raw_input
        if not isinstance(texts, list) or not texts:
            return (
                400,
                error_body("'input' must be a non-empty string or array.", "invalid_request_error", param="input"),
                {},
            )
        if len(texts) > MAX_INPUTS:
            return (
                400,
                error_body(f"'input' must have at most {MAX_INPUTS} items.", "invalid_request_error", param="input"),
                {},
            )
        tokens = [t if isinstance(t, list) else _encoding.encode(t) for t in texts]
        request.inputs, request.tokens = len(texts), sum(len(t) for t in tokens)
        if any(len(t) > MAX_INPUT_TOKENS for t in tokens) or any(t == "" for t in texts):
            return (
                400,
                error_body(
                    "An input is empty or longer than the model's context.", "invalid_request_error", param="input"
                ),
                {},
            )
        if request.tokens > MAX_REQUEST_TOKENS:
            return (
                400,
                error_body(
                    f"Requested {request.tokens} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
                    "invalid_request_error",
                    param="input",
                    code="max_tokens_per_request",
                ),
                {},
            )
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = fake_embedding(model, text if isinstance(text, str) else json.dumps(text), dimensions)
            encoded: Any = base64.b64encode(vector.astype("<f4").tobytes()).decode() if as_base64 else vector.tolist()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        usage = {"prompt_tokens": request.tokens, "total_tokens": request.tokens}
        return 200, {"object": "list", "data": data, "model": model, "usage": usage}, {}

    async def chat_completions(self, request: RecordedRequest) -> Any:
        body = request.body
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not model:
            return 400, error_body("you must provide a model parameter", "invalid_request_error", param="model"), {}
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            return (
                400,
                error_body("'messages' must be a non-empty array.", "invalid_request_error", param="messages"),
                {},
            )
        script = self.chat
        words = script.reply.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        prompt_tokens = sum(len(_encoding.encode(str(m.get("content") or ""))) + 4 for m in messages)
        completion_tokens = len(_encoding.encode(script.reply))
        request.tokens = prompt_tokens
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        ident, created = f"chatcmpl-fake{len(self.requests)}", 1_700_000_000
        if not body.get("stream"):
            message = {"role": "assistant", "content": script.reply, "refusal": None}
            return (
                200,
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                    "usage": usage,
                },
                {},
            )

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            }

        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks += [chunk({"content": piece}) for piece in pieces]
        chunks.append(chunk({}, "stop"))
        if script.send_usage and (body.get("stream_options") or {}).get("include_usage"):
            chunks.append(
                {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        cut = None if script.cut_after is None else script.cut_after + 1  # the role chunk comes first
        return (
            200,
            StreamPlan(
                chunks=chunks, first_delay_s=script.first_token_delay_s, delay_s=script.token_delay_s, cut_after=cut
            ),
            {},
        )

    async def _send_stream(self, send: Callable, plan: StreamPlan) -> None:
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if plan.first_delay_s:
            await asyncio.sleep(plan.first_delay_s)
        for index, item in enumerate(plan.chunks):
            if plan.cut_after is not None and index >= plan.cut_after:
                # Drop the connection mid-stream: the body ends without the usage chunk or [DONE].
                raise ConnectionAbortedError("the fake cut the stream off")
            if index and plan.delay_s:
                await asyncio.sleep(plan.delay_s)
            await send(
                {"type": "http.response.body", "body": f"data: {json.dumps(item)}\n\n".encode(), "more_body": True}
            )
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def error_body(message: str, kind: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """An error in OpenAI's shape."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
