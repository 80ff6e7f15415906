"""One Postgres transaction per use case."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import psycopg
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import translate
from aioomi.adapters.postgres.job_store import PostgresJobQueue


class PostgresUnitOfWork:
    """Borrows a pooled connection, opens a transaction, and exposes the repositories bound to
    it. ``commit`` commits; leaving without it rolls back. Driver errors leave as domain errors."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._conn: psycopg.AsyncConnection | None = None
        self._tx: psycopg.AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        try:
            self._conn = await self._pool.getconn()
            self._tx = self._conn.transaction()
            await self._tx.__aenter__()
        except psycopg.Error as error:
            await self._release()
            raise translate(error) from error
        self.jobs = PostgresJobQueue(self._conn)
        return self

    async def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("commit() outside an open unit of work")
        tx, self._tx = self._tx, None
        try:
            await tx.__aexit__(None, None, None)
        except psycopg.Error as error:
            raise translate(error) from error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None:
                tx, self._tx = self._tx, None
                rollback = psycopg.Rollback()
                try:
                    await tx.__aexit__(type(rollback), rollback, None)
                except psycopg.Error:
                    pass  # the connection is broken; the pool discards it on return
        finally:
            await self._release()
        if isinstance(exc, psycopg.Error):
            raise translate(exc) from exc

    async def _release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._pool.putconn(conn)


class PostgresUnitOfWorkFactory:
    """Opens :class:`PostgresUnitOfWork` on the shared pool."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    def __call__(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._pool)
