"""The API request log on Postgres: one multi-row insert per batch, in the system scope (a
batch holds several tenants' requests)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery

_COLUMNS = "occurred_at, method, route, status, latency_ms, account_id, agent_id, ip"


class PostgresRequestLog:
    """:class:`aioomi.ports.request_log.RequestLog` on ``api_request_log``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def add_many(self, entries: Sequence[RequestLogEntry]) -> None:
        if not entries:
            return
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
                async with conn.cursor() as cur:
                    await cur.executemany(
                        f"INSERT INTO api_request_log ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(e.occurred_at, e.method[:16], e.route[:300], e.status, max(0.0, e.latency_ms),
                          e.account_id, e.agent_id, e.ip) for e in entries],
                    )

    async def recent(self, account_id: str, limit: int = 100) -> list[RequestLogEntry]:
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account_id,))
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(
                    f"SELECT {_COLUMNS} FROM api_request_log WHERE account_id = %s ORDER BY occurred_at DESC LIMIT %s",
                    (account_id, limit),
                )
                return [msgspec.convert(row, RequestLogEntry) for row in await cur.fetchall()]

    async def search(self, account_id: str, query: RequestLogQuery) -> list[RequestLogEntry]:
        where, params = ["account_id = %s"], [account_id]
        for clause, value in (("occurred_at >= %s", query.since), ("occurred_at < %s", query.until),
                              ("occurred_at < %s", query.before), ("agent_id = %s", query.agent_id),
                              ("method = %s", query.method), ("status / 100 = %s", query.status_class)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if query.route is not None:
            where.append("starts_with(route, %s)")
            params.append(query.route)
        with translated_errors():
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account_id,))
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(
                    f"SELECT {_COLUMNS} FROM api_request_log WHERE {' AND '.join(where)} "  # noqa: S608 - fixed clauses
                    "ORDER BY occurred_at DESC LIMIT %s",
                    (*params, query.limit),
                )
                return [msgspec.convert(row, RequestLogEntry) for row in await cur.fetchall()]
