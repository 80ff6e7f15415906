"""Language models that answer chats, token by token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from aioomi.domain.model.chat import ChatChunk, ChatRequest, TokenUsage


class ChatModel(Protocol):
    """Streams an answer to a prompt.

    Guarantees: :meth:`stream` yields text deltas, then exactly one final chunk carrying the
    call's :class:`TokenUsage` (counted locally, ``estimated=True``, when the provider sends
    none). Retries happen only before the first delta: once text has been yielded, a failure
    leaves as :class:`~aioomi.domain.model.chat.ChatStreamInterrupted`. Other failures leave
    as :class:`~aioomi.domain.model.chat.ChatModelUnavailable` (retry later) or
    :class:`~aioomi.domain.model.chat.ChatModelRejected` (do not retry).
    """

    @property
    def default_model(self) -> str:
        """The model asked when an agent names none this adapter serves."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]: ...

    def count_tokens(self, text: str) -> int:
        """The size of ``text`` in the model's tokens (for the prompt budget)."""
        ...


async def complete(model: ChatModel, request: ChatRequest) -> tuple[str, TokenUsage]:
    """The whole answer at once, built on :meth:`ChatModel.stream`."""
    parts: list[str] = []
    usage = TokenUsage()
    async for chunk in model.stream(request):
        if chunk.usage is not None:
            usage = chunk.usage
        elif chunk.text:
            parts.append(chunk.text)
    return "".join(parts), usage
