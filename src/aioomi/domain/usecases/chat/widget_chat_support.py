"""What the chat use cases share."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from aioomi.domain.model.chat import (
    ChatMessage,
    ChatSession,
)

MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


def session_export(session: ChatSession, messages: list[ChatMessage]) -> dict[str, object]:
    """A session and its messages as plain data (the visitor's and the owner's JSON export)."""
    return {
        "session": msgspec.to_builtins(session),
        "messages": [msgspec.to_builtins(m) for m in messages],
    }
