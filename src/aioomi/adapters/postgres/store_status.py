"""Readiness of Postgres, read through the application's own pool."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.migrations import applied_versions, pending_migrations
from aioomi.domain.model.health import StoreStatus


class PostgresStoreStatusProbe:
    """Asks the pool for a connection and reads the vector extension version and migrations."""

    def __init__(self, pool: AsyncConnectionPool, *, timeout_s: float = 2.0) -> None:
        self._pool = pool
        self._timeout_s = timeout_s

    async def status(self) -> StoreStatus:
        try:
            async with self._pool.connection(timeout=self._timeout_s) as conn:
                row = await (
                    await conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
                ).fetchone()
                pending = await pending_migrations(conn)
                applied = len(await applied_versions(conn))
        except Exception as error:  # noqa: BLE001 - a probe reports, it never raises
            return StoreStatus(backend="postgres", reachable=False, error=type(error).__name__)
        return StoreStatus(
            backend="postgres",
            reachable=True,
            vector_version=row[0] if row else None,
            applied_migrations=applied,
            pending_migrations=tuple(pending),
        )
