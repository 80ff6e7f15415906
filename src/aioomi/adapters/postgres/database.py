"""The connection pool every Postgres adapter shares, with its start-up and shutdown."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import describe_conninfo
from aioomi.adapters.postgres.migrations import migrate
from aioomi.domain.model.errors import Unavailable

log = logging.getLogger(__name__)


def _configurer(app_role: str | None) -> Callable[[psycopg.AsyncConnection], Awaitable[None]]:
    async def configure(conn: psycopg.AsyncConnection) -> None:
        # Reads run in autocommit: an implicit BEGIN/COMMIT around each would double the round
        # trips. Units of work open explicit transactions.
        await conn.set_autocommit(True)
        # Timestamps come back in UTC whatever the server's time zone (the API speaks UTC).
        await conn.execute("SET TIME ZONE 'UTC'")
        if app_role:
            # Run as the role that owns nothing and cannot bypass row-level security, whatever
            # user DATABASE_URL names (often the owner, or a superuser on the embedded server).
            # Fail closed: a connection that cannot drop to this role would bypass row-level
            # security, so it is refused and the pool cannot open (the error names the role).
            await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app_role)))
        try:
            await register_vector_async(conn)
        except psycopg.ProgrammingError:
            pass  # the vector extension is not installed yet; readiness reports it

    return configure


class PostgresDatabase:
    """Owns the pool. Built unopened (so wiring is synchronous); ``start`` applies pending
    migrations, if asked, and opens the pool; ``stop`` closes it. Pooled connections act as
    ``app_role`` (the migrations create it), so row-level security holds for every query.

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
        app_role: str | None = "aioomi_app",
    ) -> None:
        self._conninfo = conninfo
        self._timeout_s = timeout_s
        self._apply_migrations = apply_migrations
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout_s,
            configure=_configurer(app_role),
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
                f"Cannot connect to the database at {describe_conninfo(self._conninfo)}: "
                f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else 'no detail'}",
                code="database_unavailable",
            ) from error

    async def stop(self) -> None:
        await self.pool.close()
