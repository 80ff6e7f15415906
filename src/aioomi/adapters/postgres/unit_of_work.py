"""One Postgres transaction per use case."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import psycopg
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.accounts import (
    PostgresAccountRepository,
    PostgresApiKeyRepository,
    PostgresOneTimeTokenRepository,
    PostgresOwnerSessionRepository,
    PostgresPendingSignInRepository,
    PostgresTrustedDeviceRepository,
)
from aioomi.adapters.postgres.agents import PostgresAgentRepository
from aioomi.adapters.postgres.documents import PostgresDocumentRepository
from aioomi.adapters.postgres.sources import PostgresSourceRepository
from aioomi.adapters.postgres.chat import PostgresChatMessageRepository, PostgresChatSessionRepository
from aioomi.adapters.postgres.billing import PostgresBillingStore
from aioomi.adapters.postgres.errors import translate
from aioomi.adapters.postgres.job_store import PostgresJobQueue
from aioomi.adapters.postgres.usage import PostgresUsageLedger
from aioomi.adapters.postgres.privacy import PostgresPrivacyStore


class PostgresUnitOfWork:
    """Borrows a pooled connection, opens a transaction scoped to one tenant, and exposes the
    repositories bound to it. ``commit`` commits; leaving without it rolls back. Driver errors
    leave as domain errors.

    The tenant scope is two transaction-local settings that the row-level security policies
    read: ``aioomi.account_id`` (the account whose rows are visible) and ``aioomi.system``
    (``on`` for the system scope)."""

    def __init__(self, pool: AsyncConnectionPool, account_id: str | None) -> None:
        self._pool = pool
        self._account_id = account_id
        self._conn: psycopg.AsyncConnection | None = None
        self._open = False

    async def __aenter__(self) -> Self:
        try:
            self._conn = await self._pool.getconn()
            # BEGIN and the tenant scope sent together and answered together (pipeline mode):
            # one round trip instead of two. The pool's connections are in autocommit, so the
            # transaction is ours to BEGIN and COMMIT or ROLLBACK.
            async with self._conn.pipeline():
                await self._conn.execute("BEGIN")
                self._open = True
                await self._conn.execute(
                    "SELECT set_config('aioomi.account_id', %s, true), set_config('aioomi.system', %s, true)",
                    (self._account_id or "", "off" if self._account_id else "on"),
                )
        except psycopg.Error as error:
            await self._abandon()
            raise translate(error) from error
        conn = self._conn
        self.jobs = PostgresJobQueue(conn)
        self.accounts = PostgresAccountRepository(conn)
        self.sessions = PostgresOwnerSessionRepository(conn)
        self.api_keys = PostgresApiKeyRepository(conn)
        self.tokens = PostgresOneTimeTokenRepository(conn)
        self.devices = PostgresTrustedDeviceRepository(conn)
        self.pending_sign_ins = PostgresPendingSignInRepository(conn)
        self.agents = PostgresAgentRepository(conn)
        self.documents = PostgresDocumentRepository(conn)
        self.sources = PostgresSourceRepository(conn)
        self.chat_sessions = PostgresChatSessionRepository(conn)
        self.chat_messages = PostgresChatMessageRepository(conn)
        self.usage = PostgresUsageLedger(conn)
        self.billing = PostgresBillingStore(conn)
        self.privacy = PostgresPrivacyStore(conn)
        return self

    async def _abandon(self) -> None:
        if self._open and self._conn is not None:
            self._open = False
            try:
                await self._conn.execute("ROLLBACK")
            except psycopg.Error:
                pass  # the connection is broken; the pool discards it on return
        await self._release()

    async def commit(self) -> None:
        if not self._open or self._conn is None:
            raise RuntimeError("commit() outside an open unit of work")
        self._open = False
        try:
            await self._conn.execute("COMMIT")
        except psycopg.Error as error:
            raise translate(error) from error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._abandon()
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

    def __call__(self, *, account_id: str | None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._pool, account_id)
