"""Chat sessions and messages on Postgres, on the unit of work's connection (so its
transaction and tenant scope apply); every query also filters by account itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.domain.model.chat import ChatMessage, ChatSession, SessionSummary
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.pagination import PageKey

_SESSION_COLUMNS = "id, account_id, agent_id, visitor_id, channel, created_at, last_message_at, ip, user_agent"
# What a read returns: the inserted columns and the handoff state (migration 0035).
SESSION_READ = _SESSION_COLUMNS + ", handoff_state AS handoff, handoff_seq, handoff_requested_at, handoff_taken_at"
MESSAGE_COLUMNS = (
    "id, account_id, agent_id, session_id, role, content, status, citations, model, prompt_tokens, "
    "completion_tokens, latency_ms, error_code, reply_to, idempotency_key, created_at, feedback, curated_pair_id"
)
_MESSAGE_COLUMNS = MESSAGE_COLUMNS


class _Repository:
    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        self._conn = conn

    async def _rows(self, query: str, params: Any) -> list[dict[str, Any]]:
        with translated_errors():
            cur = self._conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return await cur.fetchall() if cur.description else []

    async def _execute(self, query: str, params: Any) -> int:
        with translated_errors():
            cur = await self._conn.execute(query, params)
            return cur.rowcount

    async def _write(self, query: str, params: Any, check: Callable[[int], None] | None = None) -> None:
        """A write whose result is only checked: held back to go with the next statement or
        the commit when the unit of work defers writes, else sent now."""
        defer = getattr(self._conn, "defer", None)
        if defer is not None and defer(query, params, check):
            return
        rows = await self._execute(query, params)
        if check is not None:
            check(rows)


def _one_added(rows: int) -> None:
    if rows != 1:
        raise Conflict("The session does not exist.", code="conflict")


class PostgresChatSessionRepository(_Repository):
    """:class:`aioomi.ports.chat.ChatSessionRepository` on ``chat_sessions``."""

    async def add(self, session: ChatSession) -> None:
        await self._write(
            f"INSERT INTO chat_sessions ({_SESSION_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                session.id,
                session.account_id,
                session.agent_id,
                session.visitor_id,
                str(session.channel),
                session.created_at,
                session.last_message_at,
                session.ip,
                session.user_agent,
            ),
        )

    async def get(self, account_id: str, session_id: str) -> ChatSession | None:
        rows = await self._rows(
            f"SELECT {SESSION_READ} FROM chat_sessions WHERE id = %s AND account_id = %s", (session_id, account_id)
        )
        return msgspec.convert(rows[0], ChatSession) if rows else None

    async def get_with_recent(
        self,
        account_id: str,
        session_id: str,
        *,
        last: int,
    ) -> tuple[ChatSession | None, list[ChatMessage]]:
        # Both statements sent together and answered together (pipeline mode): one round trip.
        with translated_errors():
            async with self._conn.pipeline():
                sessions = self._conn.cursor(row_factory=dict_row)
                await sessions.execute(
                    f"SELECT {SESSION_READ} FROM chat_sessions WHERE id = %s AND account_id = %s",
                    (session_id, account_id),
                )
                messages = self._conn.cursor(row_factory=dict_row)
                await messages.execute(
                    f"SELECT * FROM (SELECT {_MESSAGE_COLUMNS}, seq FROM chat_messages WHERE session_id = %s "
                    "AND account_id = %s ORDER BY created_at DESC, seq DESC LIMIT %s) newest ORDER BY created_at, seq",
                    (session_id, account_id, last),
                )
            session_rows = await sessions.fetchall()
            message_rows = await messages.fetchall()
        if not session_rows:
            return None, []
        for row in message_rows:
            row.pop("seq", None)
        return (
            msgspec.convert(session_rows[0], ChatSession),
            [msgspec.convert(row, ChatMessage) for row in message_rows],
        )

    async def get_with_recent_and_keyed(
        self,
        account_id: str,
        session_id: str,
        *,
        last: int,
        idempotency_key: str,
    ) -> tuple[ChatSession | None, list[ChatMessage], tuple[ChatMessage, ChatMessage | None] | None]:
        # Every statement sent together and answered together (pipeline mode): one round trip.
        keyed = "SELECT id FROM chat_messages WHERE session_id = %s AND idempotency_key = %s AND account_id = %s"
        with translated_errors():
            async with self._conn.pipeline():
                sessions = self._conn.cursor(row_factory=dict_row)
                await sessions.execute(
                    f"SELECT {_SESSION_COLUMNS} FROM chat_sessions WHERE id = %s AND account_id = %s",
                    (session_id, account_id),
                )
                messages = self._conn.cursor(row_factory=dict_row)
                if last:
                    await messages.execute(
                        f"SELECT * FROM (SELECT {_MESSAGE_COLUMNS}, seq FROM chat_messages WHERE session_id = %s "
                        "AND account_id = %s ORDER BY created_at DESC, seq DESC LIMIT %s) newest "
                        "ORDER BY created_at, seq",
                        (session_id, account_id, last),
                    )
                asked = self._conn.cursor(row_factory=dict_row)
                await asked.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE id = ({keyed}) AND account_id = %s",
                    (session_id, idempotency_key, account_id, account_id),
                )
                reply = self._conn.cursor(row_factory=dict_row)
                await reply.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE reply_to = ({keyed}) AND account_id = %s",
                    (session_id, idempotency_key, account_id, account_id),
                )
            session_rows = await sessions.fetchall()
            message_rows = await messages.fetchall() if last else []
            asked_rows = await asked.fetchall()
            reply_rows = await reply.fetchall()
        if not session_rows:
            return None, [], None
        for row in message_rows:
            row.pop("seq", None)
        pair = (
            (
                msgspec.convert(asked_rows[0], ChatMessage),
                msgspec.convert(reply_rows[0], ChatMessage) if reply_rows else None,
            )
            if asked_rows
            else None
        )
        return (
            msgspec.convert(session_rows[0], ChatSession),
            [msgspec.convert(row, ChatMessage) for row in message_rows],
            pair,
        )

    async def touch(self, account_id: str, session_id: str, at: datetime) -> None:
        await self._write(
            "UPDATE chat_sessions SET last_message_at = %s WHERE id = %s AND account_id = %s",
            (at, session_id, account_id),
        )

    async def list_for_visitor(
        self, account_id: str, agent_id: str, visitor_id: str, *, limit: int
    ) -> list[ChatSession]:
        rows = await self._rows(
            f"SELECT {SESSION_READ} FROM chat_sessions WHERE agent_id = %s AND visitor_id = %s AND account_id = %s "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (agent_id, visitor_id, account_id, limit),
        )
        return [msgspec.convert(row, ChatSession) for row in rows]

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
        where = ["account_id = %(account)s", "agent_id = %(agent)s"]
        params: dict[str, Any] = {"account": account_id, "agent": agent_id, "limit": limit}
        if since is not None:
            where.append("created_at >= %(since)s")
            params["since"] = since
        if until is not None:
            where.append("created_at < %(until)s")
            params["until"] = until
        if after is not None:
            where.append("(created_at, id) < (%(after_at)s, %(after_id)s)")
            params |= {"after_at": after.created_at, "after_id": after.id}
        rows = await self._rows(
            f"SELECT {SESSION_READ} FROM chat_sessions WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
            params,
        )
        return [msgspec.convert(row, ChatSession) for row in rows]

    async def delete(self, account_id: str, session_id: str) -> bool:
        # The messages go with it (ON DELETE CASCADE).
        return 1 == await self._execute(
            "DELETE FROM chat_sessions WHERE id = %s AND account_id = %s", (session_id, account_id)
        )


def _message_params(message: ChatMessage) -> tuple[Any, ...]:
    return (
        message.id,
        message.account_id,
        message.agent_id,
        message.session_id,
        str(message.role),
        message.content,
        str(message.status),
        Jsonb(msgspec.to_builtins(message.citations)),
        message.model,
        message.prompt_tokens,
        message.completion_tokens,
        message.latency_ms,
        message.error_code,
        message.reply_to,
        message.idempotency_key,
        message.created_at,
        None if message.feedback is None else Jsonb(msgspec.to_builtins(message.feedback)),
        message.curated_pair_id,
    )


class PostgresChatMessageRepository(_Repository):
    """:class:`aioomi.ports.chat.ChatMessageRepository` on ``chat_messages``."""

    async def add(self, message: ChatMessage) -> None:
        # Foreign keys ignore row-level security: the session must be checked to be the
        # message's own account's, or a message could hang off another tenant's session. The
        # insert writes nothing then, so its check may run after a pipelined commit. The
        # partition key is the session's creation time, copied from the session read here
        # (migrations 0050/0051: a month of sessions' messages is one partition).
        await self._write(
            f"INSERT INTO chat_messages ({_MESSAGE_COLUMNS}, session_created_at) SELECT "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, s.created_at "
            "FROM chat_sessions s WHERE s.id = %s AND s.account_id = %s",
            (*_message_params(message), message.session_id, message.account_id),
            _one_added,
        )

    async def update(self, message: ChatMessage) -> bool:
        return 1 == await self._execute(_UPDATE_MESSAGE, _update_params(message))

    async def save(self, message: ChatMessage) -> None:
        # Held back with the unit's other writes when it defers them: the update, the usage
        # entry and COMMIT go in one round trip. Not the account's message: no row, no error.
        await self._write(_UPDATE_MESSAGE, _update_params(message))

    async def get(self, account_id: str, message_id: str) -> ChatMessage | None:
        rows = await self._rows(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE id = %s AND account_id = %s", (message_id, account_id)
        )
        return msgspec.convert(rows[0], ChatMessage) if rows else None

    async def list_for_session(self, account_id: str, session_id: str, *, last: int | None = None) -> list[ChatMessage]:
        if last:
            rows = await self._rows(
                f"SELECT * FROM (SELECT {_MESSAGE_COLUMNS}, seq FROM chat_messages WHERE session_id = %s "
                "AND account_id = %s ORDER BY created_at DESC, seq DESC LIMIT %s) newest ORDER BY created_at, seq",
                (session_id, account_id, last),
            )
        else:
            rows = await self._rows(
                f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE session_id = %s AND account_id = %s "
                "ORDER BY created_at, seq",
                (session_id, account_id),
            )
        for row in rows:
            row.pop("seq", None)
        return [msgspec.convert(row, ChatMessage) for row in rows]

    async def find_by_idempotency_key(self, account_id: str, session_id: str, key: str) -> ChatMessage | None:
        rows = await self._rows(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE session_id = %s AND idempotency_key = %s "
            "AND account_id = %s",
            (session_id, key, account_id),
        )
        return msgspec.convert(rows[0], ChatMessage) if rows else None

    async def summaries(self, account_id: str, session_ids: list[str]) -> dict[str, SessionSummary]:
        if not session_ids:
            return {}
        rows = await self._rows(
            "SELECT session_id, count(*) AS messages, (array_agg(left(content, 200) ORDER BY created_at, seq) "
            "FILTER (WHERE role = 'user'))[1] AS first_question FROM chat_messages "
            "WHERE account_id = %s AND session_id = ANY(%s) GROUP BY session_id",
            (account_id, list(session_ids)),
        )
        return {
            r["session_id"]: SessionSummary(first_question=r["first_question"], message_count=int(r["messages"]))
            for r in rows
        }

    async def find_reply(self, account_id: str, message_id: str) -> ChatMessage | None:
        rows = await self._rows(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE reply_to = %s AND account_id = %s",
            (message_id, account_id),
        )
        return msgspec.convert(rows[0], ChatMessage) if rows else None


_UPDATE_MESSAGE = (
    "UPDATE chat_messages SET content = %s, status = %s, citations = %s, model = %s, prompt_tokens = %s, "
    "completion_tokens = %s, latency_ms = %s, error_code = %s, curated_pair_id = %s WHERE id = %s AND account_id = %s "
    # The partition key, so the update probes one partition's primary key (run-time pruning).
    "AND session_created_at = (SELECT created_at FROM chat_sessions WHERE id = %s AND account_id = %s)"
)


def _update_params(message: ChatMessage) -> tuple[object, ...]:
    return (
        message.content,
        str(message.status),
        Jsonb(msgspec.to_builtins(message.citations)),
        message.model,
        message.prompt_tokens,
        message.completion_tokens,
        message.latency_ms,
        message.error_code,
        message.curated_pair_id,
        message.id,
        message.account_id,
        message.session_id,
        message.account_id,
    )
