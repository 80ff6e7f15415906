"""One Postgres transaction per use case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self

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
from aioomi.adapters.postgres.handoff import PostgresHandoffRepository
from aioomi.adapters.postgres.billing import PostgresBillingStore
from aioomi.adapters.postgres.errors import translate
from aioomi.adapters.postgres.job_store import PostgresJobQueue
from aioomi.adapters.postgres.usage import PostgresUsageLedger
from aioomi.adapters.postgres.privacy import PostgresPrivacyStore


_SCOPE = "SELECT set_config('aioomi.account_id', %s, true), set_config('aioomi.system', %s, true)"


class TenantConnection:
    """The unit of work's connection as its repositories see it: the first statement is sent
    in pipeline mode together with ``BEGIN`` and the tenant scope, and answered with them (one
    round trip instead of two); later ones go as they are. Statements sent by other means than
    ``execute`` (``executemany`` on a cursor, …) open the transaction first. The pool's
    connections are in autocommit, so the transaction is ours to BEGIN and COMMIT or ROLLBACK."""

    def __init__(self, conn: psycopg.AsyncConnection, account_id: str | None) -> None:
        self._conn = conn
        self._scope = (account_id or "", "off" if account_id else "on")
        self.in_transaction = False
        self.closed = False
        self._piped = False

    @asynccontextmanager
    async def pipeline(self) -> AsyncIterator[Any]:
        """Pipeline mode for a batch of statements; ``BEGIN`` and the scope, when not sent yet,
        are queued first, so the batch still costs one round trip."""
        if self.closed:
            raise RuntimeError("a statement after the unit of work ended")
        async with self._conn.pipeline() as pipeline:
            self._piped = True
            try:
                if not self.in_transaction:
                    self.in_transaction = True
                    await self._conn.execute("BEGIN")
                    await self._conn.execute(_SCOPE, self._scope)
                yield pipeline
            finally:
                self._piped = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def cursor(self, *args: Any, **kwargs: Any) -> _TenantCursor:
        return _TenantCursor(self, self._conn.cursor(*args, **kwargs))

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> psycopg.AsyncCursor[Any]:
        cur = self._conn.cursor()
        await self.run(cur, query, params, **kwargs)
        return cur

    async def begin(self) -> None:
        """Open the transaction now (for statements sent other than by ``execute``)."""
        if not self.in_transaction:
            await self.run(None, None, None)

    async def run(self, cur: psycopg.AsyncCursor[Any] | None, query: Any, params: Any, **kwargs: Any) -> None:
        if self.closed:
            raise RuntimeError("a statement after the unit of work ended")
        if self.in_transaction:
            if cur is not None:
                await cur.execute(query, params, **kwargs)
            return
        self.in_transaction = True  # from here on, leaving rolls back (also when this fails)
        async with self._conn.pipeline():
            await self._conn.execute("BEGIN")
            await self._conn.execute(_SCOPE, self._scope)
            if cur is not None:
                await cur.execute(query, params, **kwargs)


class _TenantCursor:
    def __init__(self, tenant: TenantConnection, cur: psycopg.AsyncCursor[Any]) -> None:
        self._tenant = tenant
        self._cur = cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> _TenantCursor:
        await self._tenant.run(self._cur, query, params, **kwargs)
        return self

    async def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        await self._tenant.begin()
        await self._cur.executemany(query, params_seq, **kwargs)

    async def __aenter__(self) -> _TenantCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._cur.close()


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
        self._tenant: TenantConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            self._conn = await self._pool.getconn()
        except psycopg.Error as error:
            raise translate(error) from error
        # BEGIN and the tenant scope are not sent yet: they go with the first statement, in one
        # round trip (see TenantConnection). A unit of work that sends nothing costs nothing.
        self._tenant = TenantConnection(self._conn, self._account_id)
        conn: Any = self._tenant
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
        self.handoffs = PostgresHandoffRepository(conn)
        self.usage = PostgresUsageLedger(conn)
        self.billing = PostgresBillingStore(conn)
        self.privacy = PostgresPrivacyStore(conn)
        return self

    @property
    def _open(self) -> bool:
        return self._tenant is not None and self._tenant.in_transaction

    async def _abandon(self) -> None:
        if self._open and self._conn is not None:
            self._close()
            try:
                await self._conn.execute("ROLLBACK")
            except psycopg.Error:
                pass  # the connection is broken; the pool discards it on return
        await self._release()

    async def commit(self) -> None:
        if self._conn is None or self._tenant is None or self._tenant.closed:
            raise RuntimeError("commit() outside an open unit of work")
        if not self._tenant.in_transaction:  # nothing was sent: nothing to commit
            self._tenant.closed = True
            return
        self._close()
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

    def _close(self) -> None:
        assert self._tenant is not None
        self._tenant.in_transaction = False
        self._tenant.closed = True

    async def _release(self) -> None:
        if self._tenant is not None:
            self._tenant.closed = True
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._pool.putconn(conn)


class PostgresUnitOfWorkFactory:
    """Opens :class:`PostgresUnitOfWork` on the shared pool."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    def __call__(self, *, account_id: str | None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._pool, account_id)
