"""GetChatSession: One of the account's sessions with its messages in order (citations included)."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import (
    ChatMessage,
    ChatSession,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.chat.support import _own_session
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetChatSession:
    """One of the account's sessions with its messages in order (citations included)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, session_id: str) -> tuple[ChatSession, list[ChatMessage]]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            session = await _own_session(uow, principal, session_id)
            return session, await uow.chat_messages.list_for_session(principal.workspace_id, session.id)
