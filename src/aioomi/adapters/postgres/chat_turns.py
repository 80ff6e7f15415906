"""A chat turn's read on Postgres: the rate-limit counters, the allowance, the statuses of the
workspace's owners (``aioomi_owner_statuses``, migration 0047), the session with its recent
messages and the keyed message, in one pipelined batch on the unit of work's connection (one
round trip; see ``TenantConnection.pipeline_counting``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import psycopg
from psycopg.rows import dict_row

from aioomi.adapters.postgres.billing import ACCOUNT_COLUMNS
from aioomi.adapters.postgres.chat import MESSAGE_COLUMNS, SESSION_READ
from aioomi.adapters.postgres.curated import HAS_PAIRS, SETTINGS, settings_of
from aioomi.adapters.postgres.documents import KNOWLEDGE_BASE_WITH_TOTALS, knowledge_base_with_totals
from aioomi.adapters.postgres.errors import translated_errors
from aioomi.adapters.postgres.rate_limiter import HIT_MANY, hit_many_params, read_decisions
from aioomi.adapters.postgres.usage import ALLOWANCE_STATE, allowance_state
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.billing import BillingAccount
from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.chat_turn import TurnQuery, TurnState

# The message sent with the key in the session.
_KEYED = "SELECT id FROM chat_messages WHERE session_id = %s AND idempotency_key = %s AND account_id = %s"


class PostgresChatTurnReader:
    """:class:`aioomi.ports.chat.ChatTurnReader` on the unit of work's connection."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def read(self, query: TurnQuery) -> TurnState:
        account = query.account_id
        cursors: dict[str, psycopg.AsyncCursor[Any]] = {}
        with translated_errors():
            async with _batch(self._conn, query) as hits:
                if query.period is not None:
                    cursors["allowance"] = await self._send(
                        ALLOWANCE_STATE, {"account": account, "agent": query.agent_id, "period": query.period}
                    )
                if query.billing:
                    cursors["billing"] = await self._send(
                        f"SELECT {ACCOUNT_COLUMNS} FROM billing_accounts WHERE account_id = %s", (account,)
                    )
                if query.knowledge:
                    cursors["knowledge"] = await self._send(
                        KNOWLEDGE_BASE_WITH_TOTALS, {"account": account, "agent": query.agent_id}
                    )
                if query.curated:
                    cursors["curated"] = await self._send(SETTINGS, (account, query.agent_id))
                    cursors["pairs"] = await self._send(HAS_PAIRS, (account, query.agent_id))
                if query.owner:
                    cursors["owner"] = await self._send("SELECT aioomi_owner_statuses(%s) AS statuses", (account,))
                if query.session_id is not None:
                    session = query.session_id
                    cursors["session"] = await self._send(
                        f"SELECT {SESSION_READ} FROM chat_sessions WHERE id = %s AND account_id = %s",
                        (session, account),
                    )
                    if query.last:
                        cursors["recent"] = await self._send(
                            f"SELECT * FROM (SELECT {MESSAGE_COLUMNS}, seq FROM chat_messages WHERE session_id = %s "
                            "AND account_id = %s ORDER BY created_at DESC, seq DESC LIMIT %s) newest "
                            "ORDER BY created_at, seq",
                            (session, account, query.last),
                        )
                    if query.idempotency_key is not None:
                        keyed = (session, query.idempotency_key, account, account)
                        cursors["asked"] = await self._send(
                            f"SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE id = ({_KEYED}) AND account_id = %s",
                            keyed,
                        )
                        cursors["reply"] = await self._send(
                            f"SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE reply_to = ({_KEYED}) "
                            "AND account_id = %s",
                            keyed,
                        )
            rows = {name: await cur.fetchall() for name, cur in cursors.items()}
            decisions = await read_decisions(hits, query.hits, query.now) if hits is not None else ()
        return _state(query, rows, tuple(decisions))

    async def _send(self, sql: str, params: Any) -> psycopg.AsyncCursor[Any]:
        cur = self._conn.cursor(row_factory=dict_row)
        await cur.execute(sql, params)
        return cur


@asynccontextmanager
async def _batch(conn: Any, query: TurnQuery) -> AsyncIterator[psycopg.AsyncCursor[Any] | None]:
    """The unit's pipeline, with the counters first when there are hits to count (then their
    cursor, else ``None``)."""
    if query.hits:
        async with conn.pipeline_counting(HIT_MANY, hit_many_params(query.hits, query.now)) as hits:
            yield hits
    else:
        async with conn.pipeline():
            yield None


def _state(query: TurnQuery, rows: dict[str, list[dict[str, Any]]], decisions: tuple[Any, ...]) -> TurnState:
    allowance = allowance_state(rows["allowance"][0]) if "allowance" in rows else None
    billing = msgspec.convert(rows["billing"][0], BillingAccount) if rows.get("billing") else None
    owners = tuple(AccountStatus(s) for s in rows["owner"][0]["statuses"] or ()) if rows.get("owner") else ()
    knowledge = (
        knowledge_base_with_totals(query.account_id, query.agent_id, rows["knowledge"][0])
        if "knowledge" in rows
        else None
    )
    curated = settings_of(rows["curated"][0]) if rows.get("curated") else None
    has_pairs = bool(rows["pairs"][0]["has_pairs"]) if "pairs" in rows else None
    found = TurnState(
        decisions=decisions,
        allowance=allowance,
        billing=billing,
        owner_statuses=owners,
        knowledge=knowledge,
        curated_settings=curated,
        has_pairs=has_pairs,
    )
    if not rows.get("session"):
        return found
    recent = []
    for row in rows.get("recent", []):
        row.pop("seq", None)
        recent.append(msgspec.convert(row, ChatMessage))
    asked, reply = rows.get("asked"), rows.get("reply")
    keyed = (
        (msgspec.convert(asked[0], ChatMessage), msgspec.convert(reply[0], ChatMessage) if reply else None)
        if asked
        else None
    )
    return msgspec.structs.replace(
        found, session=msgspec.convert(rows["session"][0], ChatSession), recent=tuple(recent), keyed=keyed
    )
