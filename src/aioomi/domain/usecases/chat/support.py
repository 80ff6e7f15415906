"""What the chat use cases share."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import (
    SESSION_PREFIX,
    ChatSession,
    ChatSessionNotFound,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import is_id
from aioomi.ports.unit_of_work import UnitOfWork


def _check_range(since: datetime | None, until: datetime | None) -> None:
    for name, value in (("from", since), ("to", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("Give a time zone (for example 2026-01-31T00:00:00Z).", code="invalid_range", field=name)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("`to` must come after `from`.", code="invalid_range", field="to")


async def _own_session(uow: UnitOfWork, principal: Principal, session_id: str) -> ChatSession:
    session = (
        await uow.chat_sessions.get(principal.workspace_id, session_id) if is_id(session_id, SESSION_PREFIX) else None
    )
    if session is None:
        raise ChatSessionNotFound("No such chat session.")
    return session
