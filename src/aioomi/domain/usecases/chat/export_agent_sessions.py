"""The ExportAgentSessions use case."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import (
    ChatMessage,
    ChatSession,
)
from aioomi.domain.model.pagination import (
    MAX_PAGE_SIZE,
    PageKey,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.chat.support import _check_range
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_EXPORT_SESSIONS = 10_000


class ExportAgentSessions:
    """Every session of an agent (optionally within a date range), newest first, each with its
    messages: at most ``MAX_EXPORT_SESSIONS`` (narrow the range for more)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, agent_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[ChatSession, list[ChatMessage]]]:
        ensure_permitted(principal, Permission.MANAGE_CONVERSATIONS)
        _check_range(since, until)
        exported: list[tuple[ChatSession, list[ChatMessage]]] = []
        after: PageKey | None = None
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            while len(exported) < MAX_EXPORT_SESSIONS:
                page = await uow.chat_sessions.list_for_agent(
                    principal.workspace_id, agent.id, limit=MAX_PAGE_SIZE, after=after, since=since, until=until
                )
                for session in page:
                    exported.append(
                        (session, await uow.chat_messages.list_for_session(principal.workspace_id, session.id))
                    )
                if len(page) < MAX_PAGE_SIZE:
                    break
                after = PageKey(created_at=page[-1].created_at, id=page[-1].id)
        return exported[:MAX_EXPORT_SESSIONS]
