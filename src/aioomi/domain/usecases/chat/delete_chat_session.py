"""DeleteChatSession: Remove a session and its messages for good."""

from __future__ import annotations

from datetime import datetime
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import (
    SESSION_PREFIX,
    ChatMessage,
    ChatSession,
    ChatSessionNotFound,
    SessionListing,
    SessionSummary,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from aioomi.domain.usecases.chat.support import _own_session


class DeleteChatSession:
    """Remove a session and its messages for good."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, session_id: str) -> None:
        async with self._uow(account_id=principal.account_id) as uow:
            session = await _own_session(uow, principal, session_id)
            await uow.chat_sessions.delete(principal.account_id, session.id)
            await uow.commit()
