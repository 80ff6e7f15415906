"""A chat model in process memory: scripted answers, paced tokens and faults on demand, and a
record of every request it received. Unit tests and the benchmarks use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aioomi.domain.model.chat import ChatChunk, ChatModelUnavailable, ChatRequest, ChatStreamInterrupted, TokenUsage


def approximate_tokens(text: str) -> int:
    """About four characters a token, as OpenAI's tokenizers average on English."""
    return (len(text) + 3) // 4


@dataclass
class ScriptedChatModel:
    """:class:`aioomi.ports.chat_model.ChatModel` that answers ``reply(request)`` word by word.

    ``token_interval_s`` paces the deltas (0 for none); ``fail_before_first`` makes the next
    calls fail with :class:`ChatModelUnavailable`; ``cut_after`` makes the next call stop with
    :class:`ChatStreamInterrupted` after that many deltas; ``send_usage=False`` ends streams
    without usage (the port then estimates it, marked ``estimated``)."""

    reply: Callable[[ChatRequest], str] = lambda request: "This is a scripted answer."
    token_interval_s: float = 0.0
    fail_before_first: int = 0
    cut_after: int | None = None
    send_usage: bool = True
    requests: list[ChatRequest] = field(default_factory=list)
    default_model: str = "gpt-4o"

    def count_tokens(self, text: str) -> int:
        return approximate_tokens(text)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        self.requests.append(request)
        if self.fail_before_first > 0:
            self.fail_before_first -= 1
            raise ChatModelUnavailable("The scripted model is unavailable.")
        text = self.reply(request)
        words = text.split(" ")
        cut, self.cut_after = self.cut_after, None
        for index, word in enumerate(words):
            if cut is not None and index >= cut:
                raise ChatStreamInterrupted("The scripted stream was cut off.")
            if self.token_interval_s:
                await asyncio.sleep(self.token_interval_s)
            yield ChatChunk(text=word if index == 0 else " " + word)
        prompt = sum(approximate_tokens(m.content) + 4 for m in request.messages)
        yield ChatChunk(
            usage=TokenUsage(
                prompt_tokens=prompt, completion_tokens=approximate_tokens(text), estimated=not self.send_usage
            ),
            model=request.model,
        )
