"""The connection pool every Postgres adapter shares, with its start-up and shutdown."""

from __future__ import annotations

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import describe_conninfo
from aioomi.adapters.postgres.migrations import migrate
from aioomi.domain.model.errors import Unavailable


async def _configure(conn: psycopg.AsyncConnection) -> None:
    # Reads run in autocommit: an implicit BEGIN/COMMIT around each would double the round
    # trips. Units of work open explicit transactions.
    await conn.set_autocommit(True)
    try:
        await register_vector_async(conn)
    except psycopg.ProgrammingError:
        pass  # the vector extension is not installed yet; readiness reports it


class PostgresDatabase:
    """Owns the pool. Built unopened (so wiring is synchronous); ``start`` applies pending
    migrations, if asked, and opens the pool; ``stop`` closes it.

    ``start`` raises :class:`Unavailable` naming the server (never the password) when the
    database cannot be reached.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout_s: float = 10.0,
        apply_migrations: bool = True,
    ) -> None:
        self._conninfo = conninfo
        self._timeout_s = timeout_s
        self._apply_migrations = apply_migrations
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout_s,
            configure=_configure,
            open=False,
            name="aioomi",
        )

    async def start(self) -> None:
        if self._apply_migrations:
            await migrate(self._conninfo, connect_timeout_s=self._timeout_s)
        try:
            await self.pool.open(wait=True, timeout=self._timeout_s)
        except Exception as error:
            await self.pool.close()
            raise Unavailable(
                f"Cannot connect to the database at {describe_conninfo(self._conninfo)}.",
                code="database_unavailable",
            ) from error

    async def stop(self) -> None:
        await self.pool.close()
