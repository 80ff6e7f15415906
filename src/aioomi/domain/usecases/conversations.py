"""The owner's view of their agents' conversations: list sessions (by date, a page at a time),
read one with its messages and citations, delete one (hard delete), export them as JSON."""

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
from aioomi.domain.usecases.agents import find_own_agent
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

MAX_EXPORT_SESSIONS = 10_000


def _check_range(since: datetime | None, until: datetime | None) -> None:
    for name, value in (("from", since), ("to", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("Give a time zone (for example 2026-01-31T00:00:00Z).", code="invalid_range", field=name)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("`to` must come after `from`.", code="invalid_range", field="to")


async def _own_session(uow: UnitOfWork, principal: Principal, session_id: str) -> ChatSession:
    session = await uow.chat_sessions.get(principal.account_id, session_id) if is_id(session_id, SESSION_PREFIX) else None
    if session is None:
        raise ChatSessionNotFound("No such chat session.")
    return session


class ListAgentSessions:
    """An agent's sessions, newest first, optionally those created in ``[since, until)``;
    ``limit`` 1–100, cursors as every list. Another account's agent is not found. Each comes
    with its summary: the visitor's first question and its number of messages."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, *, limit: int = DEFAULT_PAGE_SIZE,
                       cursor: str | None = None, since: datetime | None = None,
                       until: datetime | None = None) -> Page[SessionListing]:
        check_page_size(limit)
        _check_range(since, until)
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            found = await uow.chat_sessions.list_for_agent(principal.account_id, agent.id, limit=limit + 1,
                                                           after=after, since=since, until=until)
            items = found[:limit]
            summaries = await uow.chat_messages.summaries(principal.account_id, [s.id for s in items])
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(PageKey(created_at=items[-1].created_at, id=items[-1].id))
        return Page(items=[SessionListing(session=s, summary=summaries.get(s.id, SessionSummary())) for s in items],
                    next_cursor=next_cursor)


class GetChatSession:
    """One of the account's sessions with its messages in order (citations included)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, session_id: str) -> tuple[ChatSession, list[ChatMessage]]:
        async with self._uow(account_id=principal.account_id) as uow:
            session = await _own_session(uow, principal, session_id)
            return session, await uow.chat_messages.list_for_session(principal.account_id, session.id)


class DeleteChatSession:
    """Remove a session and its messages for good."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, session_id: str) -> None:
        async with self._uow(account_id=principal.account_id) as uow:
            session = await _own_session(uow, principal, session_id)
            await uow.chat_sessions.delete(principal.account_id, session.id)
            await uow.commit()


class ExportAgentSessions:
    """Every session of an agent (optionally within a date range), newest first, each with its
    messages: at most ``MAX_EXPORT_SESSIONS`` (narrow the range for more)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, *, since: datetime | None = None,
                       until: datetime | None = None) -> list[tuple[ChatSession, list[ChatMessage]]]:
        _check_range(since, until)
        exported: list[tuple[ChatSession, list[ChatMessage]]] = []
        after: PageKey | None = None
        async with self._uow(account_id=principal.account_id) as uow:
            agent = await find_own_agent(uow.agents, principal, agent_id)
            while len(exported) < MAX_EXPORT_SESSIONS:
                page = await uow.chat_sessions.list_for_agent(principal.account_id, agent.id, limit=MAX_PAGE_SIZE,
                                                              after=after, since=since, until=until)
                for session in page:
                    exported.append((session, await uow.chat_messages.list_for_session(principal.account_id,
                                                                                        session.id)))
                if len(page) < MAX_PAGE_SIZE:
                    break
                after = PageKey(created_at=page[-1].created_at, id=page[-1].id)
        return exported[:MAX_EXPORT_SESSIONS]
