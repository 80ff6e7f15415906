"""The ListAgentSessions use case."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import (
    SessionListing,
    SessionSummary,
)
from aioomi.domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageKey,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.agents.support import find_own_agent
from aioomi.domain.usecases.chat.support import _check_range
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListAgentSessions:
    """An agent's sessions, newest first, optionally those created in ``[since, until)``;
    ``limit`` 1–100, cursors as every list. Another account's agent is not found. Each comes
    with its summary: the visitor's first question and its number of messages."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        principal: Principal,
        agent_id: str,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[SessionListing]:
        ensure_permitted(principal, Permission.VIEW_CONVERSATIONS)
        check_page_size(limit)
        _check_range(since, until)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.workspace_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await uow.chat_sessions.list_for_agent(
                principal.workspace_id, agent.id, limit=limit + 1, after=after, since=since, until=until
            )
            items = found[:limit]
            summaries = await uow.chat_messages.summaries(principal.workspace_id, [s.id for s in items])
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(PageKey(created_at=items[-1].created_at, id=items[-1].id))
        return Page(
            items=[SessionListing(session=s, summary=summaries.get(s.id, SessionSummary())) for s in items],
            next_cursor=next_cursor,
        )
