"""Handoffs on Postgres: the state on ``chat_sessions`` (changed by one conditional UPDATE, so
concurrent changes to a conversation are applied one at a time), events in
``handoff_events``, settings in ``handoff_settings``. On the unit of work's connection (its
transaction and tenant scope apply); every query also filters by account itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from aioomi.adapters.postgres.chat import SESSION_READ
from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.handoff import Handoff, HandoffChanged, HandoffEvent, HandoffSettings

_MESSAGE_READ = (
    "m.id, m.account_id, m.agent_id, m.session_id, m.role, m.content, m.status, m.citations, m.model, "
    "m.prompt_tokens, m.completion_tokens, m.latency_ms, m.error_code, m.reply_to, m.idempotency_key, m.created_at"
)
_MESSAGE_FIELDS = [c.strip().removeprefix("m.") for c in _MESSAGE_READ.split(",")]


class PostgresHandoffRepository(PostgresRepository):
    """:class:`aioomi.ports.handoff.HandoffRepository` on Postgres."""

    async def record(
        self,
        session: ChatSession,
        expected_seq: int,
        handoff: Handoff,
        event: HandoffEvent,
        message: ChatMessage | None = None,
    ) -> None:
        # The UPDATE takes the session row's lock until commit: a second change waits, then
        # finds another seq and changes nothing (HandoffChanged), so seqs commit in order.
        changed = await self._execute(
            "UPDATE chat_sessions SET handoff_state = %s, handoff_seq = %s, handoff_requested_at = %s, "
            "handoff_taken_at = %s, last_message_at = CASE WHEN %s THEN %s ELSE last_message_at END "
            "WHERE id = %s AND account_id = %s AND handoff_seq = %s",
            (
                str(handoff.state),
                handoff.seq,
                handoff.requested_at,
                handoff.taken_at,
                message is not None,
                event.created_at,
                session.id,
                session.account_id,
                expected_seq,
            ),
        )
        if changed != 1:
            raise HandoffChanged("The conversation changed meanwhile; try again.")
        if message is not None:
            from aioomi.adapters.postgres.chat import PostgresChatMessageRepository

            await PostgresChatMessageRepository(self._conn).add(message)
        # No foreign key to chat_messages since its month partitions (migration 0051): the
        # event's message is checked to be one of its session's, as the foreign key did.
        added = await self._execute(
            "INSERT INTO handoff_events (account_id, session_id, seq, kind, state, message_id, created_at) "
            "SELECT %s, %s, %s, %s, %s, %s, %s WHERE %s::text IS NULL OR EXISTS (SELECT 1 FROM chat_messages "
            "WHERE id = %s AND session_id = %s AND account_id = %s)",
            (
                event.account_id,
                event.session_id,
                event.seq,
                str(event.kind),
                str(event.state),
                event.message_id,
                event.created_at,
                event.message_id,
                event.message_id,
                event.session_id,
                event.account_id,
            ),
        )
        if added != 1:
            raise Conflict("The event's message is not in its conversation.", code="reference_conflict")

    async def events_after(
        self, account_id: str, session_id: str, after: int, *, limit: int
    ) -> list[tuple[HandoffEvent, ChatMessage | None]]:
        rows = await self._rows(
            f"SELECT e.account_id AS e_account_id, e.session_id AS e_session_id, e.seq, e.kind, e.state, "
            f"e.message_id, e.created_at AS e_created_at, {_MESSAGE_READ} FROM handoff_events e "
            "LEFT JOIN chat_messages m ON m.id = e.message_id AND m.account_id = e.account_id "
            "WHERE e.session_id = %s AND e.account_id = %s AND e.seq > %s ORDER BY e.seq LIMIT %s",
            (session_id, account_id, after, limit),
        )
        found: list[tuple[HandoffEvent, ChatMessage | None]] = []
        for row in rows:
            event = HandoffEvent(
                account_id=row["e_account_id"],
                session_id=row["e_session_id"],
                seq=row["seq"],
                kind=row["kind"],
                state=row["state"],
                message_id=row["message_id"],
                created_at=row["e_created_at"],
            )
            message = (
                msgspec.convert({f: row[f] for f in _MESSAGE_FIELDS}, ChatMessage) if row["id"] is not None else None
            )
            found.append((event, message))
        return found

    async def inbox(self, account_id: str, *, limit: int) -> list[tuple[ChatSession, ChatMessage | None]]:
        columns = ", ".join(f"s.{c.strip()}" for c in SESSION_READ.split(",") if " AS " not in c)
        rows = await self._rows(
            f"SELECT {columns}, s.handoff_state AS handoff, "
            f"to_jsonb(last) AS last_message FROM chat_sessions s "
            f"LEFT JOIN LATERAL (SELECT {_MESSAGE_READ} FROM chat_messages m WHERE m.session_id = s.id "
            "AND m.account_id = s.account_id ORDER BY m.created_at DESC, m.seq DESC LIMIT 1) last ON true "
            "WHERE s.account_id = %s AND s.handoff_state <> 'assistant' "
            "ORDER BY s.handoff_requested_at, s.id LIMIT %s",
            (account_id, limit),
        )
        found: list[tuple[ChatSession, ChatMessage | None]] = []
        for row in rows:
            last = row.pop("last_message")
            found.append(
                (
                    msgspec.convert(row, ChatSession),
                    msgspec.convert(last, ChatMessage, strict=False) if last is not None else None,
                )
            )
        return found

    async def waiting_since(self, before: datetime, *, limit: int) -> list[ChatSession]:
        # The inbox's partial index holds only held conversations, so this reads a handful of rows.
        rows = await self._rows(
            f"SELECT {SESSION_READ} FROM chat_sessions WHERE handoff_state = 'waiting' "
            "AND handoff_requested_at < %s ORDER BY handoff_requested_at, id LIMIT %s",
            (before, limit),
        )
        return [msgspec.convert(row, ChatSession) for row in rows]

    async def get_settings(self, account_id: str, agent_id: str) -> HandoffSettings | None:
        row = await self._row(
            "SELECT enabled, time_zone, days, opens, closes, max_wait_s FROM handoff_settings "
            "WHERE agent_id = %s AND account_id = %s",
            (agent_id, account_id),
        )
        return msgspec.convert(row, HandoffSettings) if row is not None else None

    async def save_settings(self, account_id: str, agent_id: str, settings: HandoffSettings) -> None:
        params: dict[str, Any] = {
            "agent_id": agent_id,
            "account_id": account_id,
            "enabled": settings.enabled,
            "time_zone": settings.time_zone,
            "days": [str(d) for d in settings.days],
            "opens": settings.opens,
            "closes": settings.closes,
            "max_wait_s": settings.max_wait_s,
        }
        await self._execute(
            "INSERT INTO handoff_settings (agent_id, account_id, enabled, time_zone, days, opens, closes, max_wait_s) "
            "SELECT %(agent_id)s, %(account_id)s, %(enabled)s, %(time_zone)s, %(days)s, %(opens)s, %(closes)s, "
            "%(max_wait_s)s "
            "WHERE EXISTS (SELECT 1 FROM agents WHERE id = %(agent_id)s AND account_id = %(account_id)s) "
            "ON CONFLICT (agent_id) DO UPDATE SET enabled = excluded.enabled, time_zone = excluded.time_zone, "
            "days = excluded.days, opens = excluded.opens, closes = excluded.closes, max_wait_s = excluded.max_wait_s "
            "WHERE handoff_settings.account_id = excluded.account_id",
            params,
        )
