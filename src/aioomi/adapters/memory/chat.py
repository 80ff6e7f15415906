"""Chat sessions and messages in memory, with the same semantics as the Postgres stores."""

from __future__ import annotations

import itertools
from datetime import datetime

import msgspec

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.chat import ChatMessage, ChatSession, Role, SessionSummary
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.pagination import PageKey


def _key(item: ChatSession | ChatMessage) -> tuple[datetime, str]:
    return (item.created_at, item.id)


# The order messages were added in, as the Postgres store's ``seq`` column keeps it: messages of
# the same instant (a question and its answer) come back in that order. A table's commit does not
# keep insertion order, so the sequence lives here.
_next_seq = itertools.count()
_seq: dict[str, int] = {}


def _in_order(message: ChatMessage) -> tuple[datetime, int]:
    return (message.created_at, _seq.get(message.id, 0))


class InMemoryChatSessionRepository:
    """:class:`aioomi.ports.chat.ChatSessionRepository` on a :class:`Table`."""

    def __init__(self, table: Table[ChatSession], messages: Table[ChatMessage]) -> None:
        self._table = table
        self._messages = messages

    async def add(self, session: ChatSession) -> None:
        if self._table.get(session.id) is not None:
            raise Conflict("The resource already exists.", code="already_exists")
        self._table.put(session.id, session)

    async def get(self, account_id: str, session_id: str) -> ChatSession | None:
        session = self._table.get(session_id)
        return session if session is not None and session.account_id == account_id else None

    async def get_with_recent(
        self,
        account_id: str,
        session_id: str,
        *,
        last: int,
    ) -> tuple[ChatSession | None, list[ChatMessage]]:
        session = await self.get(account_id, session_id)
        if session is None:
            return None, []
        found = sorted(
            (m for m in self._messages.values() if m.account_id == account_id and m.session_id == session_id),
            key=_in_order,
        )
        return session, found[-last:] if last else found

    async def get_with_recent_and_keyed(
        self,
        account_id: str,
        session_id: str,
        *,
        last: int,
        idempotency_key: str,
    ) -> tuple[ChatSession | None, list[ChatMessage], tuple[ChatMessage, ChatMessage | None] | None]:
        session = await self.get(account_id, session_id)
        if session is None:
            return None, [], None
        found = sorted(
            (m for m in self._messages.values() if m.account_id == account_id and m.session_id == session_id),
            key=_in_order,
        )
        asked = next((m for m in found if m.idempotency_key == idempotency_key), None)
        reply = next((m for m in found if asked is not None and m.reply_to == asked.id), None)
        return session, found[-last:] if last else [], (asked, reply) if asked is not None else None

    async def touch(self, account_id: str, session_id: str, at: datetime) -> None:
        session = await self.get(account_id, session_id)
        if session is not None:
            self._table.put(session_id, msgspec.structs.replace(session, last_message_at=at))

    async def list_for_visitor(
        self, account_id: str, agent_id: str, visitor_id: str, *, limit: int
    ) -> list[ChatSession]:
        found = [
            s
            for s in self._table.values()
            if s.account_id == account_id and s.agent_id == agent_id and s.visitor_id == visitor_id
        ]
        return sorted(found, key=_key, reverse=True)[:limit]

    async def list_for_agent(
        self,
        account_id: str,
        agent_id: str,
        *,
        limit: int,
        after: PageKey | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ChatSession]:
        found = [
            s
            for s in self._table.values()
            if s.account_id == account_id
            and s.agent_id == agent_id
            and (since is None or s.created_at >= since)
            and (until is None or s.created_at < until)
            and (after is None or _key(s) < (after.created_at, after.id))
        ]
        return sorted(found, key=_key, reverse=True)[:limit]

    async def delete(self, account_id: str, session_id: str) -> bool:
        if await self.get(account_id, session_id) is None:
            return False
        for message in list(self._messages.values()):
            if message.session_id == session_id:
                self._messages.delete(message.id)
                _seq.pop(message.id, None)
        self._table.delete(session_id)
        return True


class InMemoryChatMessageRepository:
    """:class:`aioomi.ports.chat.ChatMessageRepository` on a :class:`Table`."""

    def __init__(self, table: Table[ChatMessage], sessions: Table[ChatSession]) -> None:
        self._table = table
        self._sessions = sessions

    async def summaries(self, account_id: str, session_ids: list[str]) -> dict[str, SessionSummary]:
        found: dict[str, SessionSummary] = {}
        for session_id in session_ids:
            mine = sorted(
                (m for m in self._table.values() if m.session_id == session_id and m.account_id == account_id),
                key=lambda m: m.created_at,
            )
            if mine:
                first = next((m.content[:200] for m in mine if m.role is Role.USER), None)
                found[session_id] = SessionSummary(first_question=first, message_count=len(mine))
        return found

    async def add(self, message: ChatMessage) -> None:
        session = self._sessions.get(message.session_id)
        if session is None or session.account_id != message.account_id:
            raise Conflict("The session does not exist.", code="conflict")
        if self._table.get(message.id) is not None:
            raise Conflict("The resource already exists.", code="already_exists")
        if message.idempotency_key is not None and any(
            m.session_id == message.session_id and m.idempotency_key == message.idempotency_key
            for m in self._table.values()
        ):
            raise Conflict("The resource already exists.", code="already_exists")
        self._table.put(message.id, message)
        _seq.setdefault(message.id, next(_next_seq))

    async def update(self, message: ChatMessage) -> bool:
        if await self.get(message.account_id, message.id) is None:
            return False
        self._table.put(message.id, message)
        return True

    async def save(self, message: ChatMessage) -> None:
        await self.update(message)

    async def get(self, account_id: str, message_id: str) -> ChatMessage | None:
        message = self._table.get(message_id)
        return message if message is not None and message.account_id == account_id else None

    async def list_for_session(self, account_id: str, session_id: str, *, last: int | None = None) -> list[ChatMessage]:
        found = sorted(
            (m for m in self._table.values() if m.account_id == account_id and m.session_id == session_id),
            key=_in_order,
        )
        return found[-last:] if last else found

    async def find_by_idempotency_key(self, account_id: str, session_id: str, key: str) -> ChatMessage | None:
        return next(
            (
                m
                for m in self._table.values()
                if m.account_id == account_id and m.session_id == session_id and m.idempotency_key == key
            ),
            None,
        )

    async def find_reply(self, account_id: str, message_id: str) -> ChatMessage | None:
        return next((m for m in self._table.values() if m.account_id == account_id and m.reply_to == message_id), None)
