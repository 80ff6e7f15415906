"""Chat answers from OpenAI (or any OpenAI-compatible endpoint) through the official SDK."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import openai
from openai import AsyncOpenAI

from aioomi.adapters.local.token_counter import count_tokens
from aioomi.adapters.openai.embedder import _retry_after_s
from aioomi.domain.model.chat import (
    ChatChunk,
    ChatModelRejected,
    ChatModelUnavailable,
    ChatRequest,
    ChatStreamInterrupted,
    TokenUsage,
    prompt_tokens,
)

DEFAULT_MODEL = "gpt-4o"


def _encoding_for(model: str) -> str:
    return (
        "cl100k_base"
        if model.startswith(("gpt-3.5", "gpt-4-", "gpt-4")) and not model.startswith("gpt-4o")
        else "o200k_base"
    )


class OpenAIChatModel:
    """:class:`aioomi.ports.chat_model.ChatModel` on OpenAI's chat completions API, streamed.

    Timeouts suit a chat, not the SDK's 600 s: ``connect_timeout_s`` to connect,
    ``first_token_timeout_s`` for the headers and the first chunk, ``read_timeout_s`` between
    later chunks. 429, 5xx, timeouts and connection errors are retried up to ``max_retries``
    times with exponential backoff and jitter (at least the server's ``Retry-After``, capped at
    ``max_backoff_s``), but only before the first text delta: a stream that breaks after it
    leaves as :class:`ChatStreamInterrupted`, since the visitor has already read part of it.
    The usage chunk (``stream_options.include_usage``, whose ``choices`` is empty) gives the
    token counts; when it never comes they are counted locally and marked ``estimated``.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        default_model: str = DEFAULT_MODEL,
        max_retries: int = 2,
        connect_timeout_s: float = 5.0,
        first_token_timeout_s: float = 30.0,
        read_timeout_s: float = 30.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
    ) -> None:
        self.default_model = default_model
        self._max_retries = max_retries
        self._first_token_timeout_s = first_token_timeout_s
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        timeout = openai.Timeout(connect=connect_timeout_s, read=read_timeout_s, write=10.0, pool=5.0)
        # The SDK's own retries are off: ours stop at the first token and end in domain errors.
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)

    def count_tokens(self, text: str) -> int:
        return count_tokens(text, _encoding_for(self.default_model))

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        texts: list[str] = []
        usage: TokenUsage | None = None
        model_name = request.model
        for attempt in range(self._max_retries + 1):
            wait: float | None = None
            try:
                stream = await asyncio.wait_for(self._open(request), self._first_token_timeout_s)
                iterator = stream.__aiter__()
                try:
                    while True:
                        if texts:
                            chunk = await iterator.__anext__()
                        else:
                            chunk = await asyncio.wait_for(iterator.__anext__(), self._first_token_timeout_s)
                        model_name = chunk.model or model_name
                        if chunk.usage is not None:
                            usage = TokenUsage(
                                prompt_tokens=chunk.usage.prompt_tokens or 0,
                                completion_tokens=chunk.usage.completion_tokens or 0,
                            )
                        for choice in chunk.choices:
                            delta = choice.delta.content if choice.delta else None
                            if delta:
                                texts.append(delta)
                                yield ChatChunk(text=delta)
                except StopAsyncIteration:
                    pass
                finally:
                    await stream.close()
                break
            except (openai.RateLimitError, openai.InternalServerError) as error:
                failure: Exception = error
                wait = _retry_after_s(error)
            except (openai.APITimeoutError, openai.APIConnectionError, TimeoutError) as error:
                failure = error
            except openai.APIStatusError as error:
                if error.status_code in (408, 409) or error.status_code >= 500:
                    failure, wait = error, _retry_after_s(error)
                else:
                    raise ChatModelRejected(
                        f"The model provider refused the request ({error.status_code}): {error.message}"
                    ) from error
            except Exception as error:  # noqa: BLE001 - a malformed or broken stream (httpx2 errors, bad JSON)
                failure = error
            if texts:
                raise ChatStreamInterrupted(f"The answer stopped midway ({type(failure).__name__}).") from failure
            if attempt == self._max_retries:
                raise ChatModelUnavailable(
                    f"The model provider failed after {attempt + 1} attempts ({type(failure).__name__})."
                ) from failure
            backoff = self._backoff_s * 2**attempt * (0.5 + random.random() / 2)  # noqa: S311 - retry jitter, not a secret
            await asyncio.sleep(min(max(backoff, wait or 0.0), self._max_backoff_s))
        text = "".join(texts)
        if usage is None:
            usage = TokenUsage(
                prompt_tokens=prompt_tokens(request.messages, self.count_tokens),
                completion_tokens=self.count_tokens(text),
                estimated=True,
            )
        yield ChatChunk(usage=usage, model=model_name)

    async def _open(self, request: ChatRequest):
        return await self._client.chat.completions.create(  # type: ignore[call-overload]  # messages as plain dicts
            model=request.model,
            messages=[{"role": str(m.role), "content": m.content} for m in request.messages],
            temperature=request.temperature,
            max_completion_tokens=request.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )

    async def aclose(self) -> None:
        await self._client.close()
