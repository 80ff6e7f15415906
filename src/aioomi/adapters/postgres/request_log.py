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

# One statement decides and inserts. An entry's ``account_id`` is the workspace (the tenant);
# it keeps the workspace and the IP only while one of the workspace's owners is active and has
# neither objected nor restricted processing (``request_log_may_name`` in
# domain/model/workspace_state.py, the same rule). That owner's account row is locked FOR KEY
# SHARE while the statement runs, so the purge's DELETE of the account waits for this
# transaction (and its last sweep of the log then removes the row), or, if the purge came
# first, the row is gone and the entry is written without workspace and IP: a batch flushed
# after the purge can never bring an erased sole owner's workspace id or IP back.
_INSERT = f"""
INSERT INTO api_request_log ({_COLUMNS})
SELECT v.occurred_at, v.method, v.route, v.status, v.latency_ms, n.account_id, v.agent_id,
       CASE WHEN v.account_id IS NULL OR n.account_id IS NOT NULL THEN v.ip END
FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::smallint[], %s::real[], %s::text[], %s::text[],
            %s::text[]) WITH ORDINALITY AS v(occurred_at, method, route, status, latency_ms, account_id, agent_id, ip, n)
LEFT JOIN LATERAL (
    SELECT m.workspace_id AS account_id FROM workspace_members m JOIN accounts a ON a.id = m.account_id
    WHERE m.workspace_id = v.account_id AND m.role = 'owner' AND a.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM account_privacy p WHERE p.account_id = a.id
                      AND (p.objected_at IS NOT NULL OR p.restricted_at IS NOT NULL))
    ORDER BY a.id
    LIMIT 1
    FOR KEY SHARE OF a
) n ON true
ORDER BY v.n
"""


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
                await conn.execute(
                    _INSERT,
                    (
                        [e.occurred_at for e in entries],
                        [e.method[:16] for e in entries],
                        [e.route[:300] for e in entries],
                        [e.status for e in entries],
                        [max(0.0, e.latency_ms) for e in entries],
                        [e.account_id for e in entries],
                        [e.agent_id for e in entries],
                        [e.ip for e in entries],
                    ),
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
        where: list[str] = ["account_id = %s"]
        params: list[object] = [account_id]
        for clause, value in (
            ("occurred_at >= %s", query.since),
            ("occurred_at < %s", query.until),
            ("occurred_at < %s", query.before),
            ("agent_id = %s", query.agent_id),
            ("method = %s", query.method),
            ("status / 100 = %s", query.status_class),
        ):
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
                    f"SELECT {_COLUMNS} FROM api_request_log WHERE {' AND '.join(where)} "
                    "ORDER BY occurred_at DESC LIMIT %s",
                    (*params, query.limit),
                )
                return [msgspec.convert(row, RequestLogEntry) for row in await cur.fetchall()]
