"""The offline answerer: with no OpenAI key, the product still answers from the documents, with
the sentences of the retrieved passages (they arrive in the prompt's untrusted sources) that best
answer the question."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

from aioomi.adapters.local.token_counter import count_tokens
from aioomi.domain.model.chat import ChatChunk, ChatRequest, Passage, Role, TokenUsage, extractive_answer

MODEL = "aioomi-extractive"
NO_SOURCES = "I could not find anything about that in the documents I have."

_SOURCE = re.compile(r'<source id="(\d+)" title="([^"]*)" position="(\d+)">\n(.*?)\n</source>', re.DOTALL)


class ExtractiveResponder:
    """:class:`aioomi.ports.chat_model.ChatModel` that needs no provider: it reads the sources
    out of the system message (the only place they are) and the question (the last user
    message), and answers with the one to three sentences that best answer it
    (:func:`~aioomi.domain.model.chat.extractive_answer`: pysbd sentences, Markdown removed,
    ``[n]`` markers numbered like the citations). No model is called, so none of the prompt is
    sent anywhere and the usage it reports is 0 tokens: the answer is metered as a message with
    no tokens (the allowance's tokens pay for model calls only)."""

    default_model = MODEL

    def count_tokens(self, text: str) -> int:
        return count_tokens(text, "o200k_base")

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        system = next((m.content for m in request.messages if m.role is Role.SYSTEM), "")
        passages = [
            Passage(
                document_id="", document_title=html.unescape(title), position=int(position), text=html.unescape(text)
            )
            for _, title, position, text in _SOURCE.findall(system)
        ]
        question = next((m.content for m in reversed(request.messages) if m.role is Role.USER), "")
        answer = extractive_answer(question, passages, NO_SOURCES)
        for index, sentence in enumerate(re.split(r"(?<=\]) ", answer)):
            yield ChatChunk(text=sentence if index == 0 else " " + sentence)
        yield ChatChunk(usage=TokenUsage(prompt_tokens=0, completion_tokens=0), model=MODEL)
