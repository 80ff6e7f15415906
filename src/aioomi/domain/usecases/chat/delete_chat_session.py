"""DeleteChatSession: Remove a session and its messages for good."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.chat.support import _own_session
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteChatSession:
    """Remove a session and its messages for good."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, session_id: str) -> None:
        ensure_permitted(principal, Permission.MANAGE_CONVERSATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            session = await _own_session(uow, principal, session_id)
            await uow.chat_sessions.delete(principal.workspace_id, session.id)
            await uow.commit()
