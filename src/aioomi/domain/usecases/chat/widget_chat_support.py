"""What the chat use cases share."""

from __future__ import annotations

import builtins
from datetime import timedelta
import msgspec
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.agents import Agent, AgentNotFound, normalize_origin, refusal_message
from aioomi.domain.model.chat import (
    SESSION_PREFIX,
    ChatLimits,
    ChatMessage,
    ChatSession,
    ChatSessionNotFound,
    OriginNotAllowed,
    owner_unavailable,
    check_message,
    check_visitor_id,
    clip_user_agent,
)
from aioomi.domain.model.errors import InvalidInput, RateLimited
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.usecases.answer_chat import (
    AnswerChat,
    ChatAnswer,
    ChatCaller,
    check_agent_serves,
    own_session,
)
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


def session_export(session: ChatSession, messages: list[ChatMessage]) -> dict[str, object]:
    """A session and its messages as plain data (the visitor's and the owner's JSON export)."""
    return {
        "session": msgspec.to_builtins(session),
        "messages": [msgspec.to_builtins(m) for m in messages],
    }
