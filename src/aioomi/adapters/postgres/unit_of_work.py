"""One Postgres transaction per use case."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg.pq import TransactionStatus
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
from aioomi.adapters.postgres.analytics import PostgresAnalyticsRepository
from aioomi.adapters.postgres.billing import PostgresBillingStore
from aioomi.adapters.postgres.chat import PostgresChatMessageRepository, PostgresChatSessionRepository
from aioomi.adapters.postgres.chat_turns import PostgresChatTurnReader
from aioomi.adapters.postgres.conversation_review import PostgresConversationReviewRepository
from aioomi.adapters.postgres.curated import PostgresCuratedSettingsRepository
from aioomi.adapters.postgres.documents import PostgresDocumentRepository
from aioomi.adapters.postgres.errors import translate
from aioomi.adapters.postgres.feedback import PostgresAnswerFeedbackRepository
from aioomi.adapters.postgres.handoff import PostgresHandoffRepository
from aioomi.adapters.postgres.job_store import PostgresJobQueue
from aioomi.adapters.postgres.leads import PostgresLeadStore
from aioomi.adapters.postgres.privacy import PostgresPrivacyStore
from aioomi.adapters.postgres.question_groups import PostgresQuestionGroupRepository
from aioomi.adapters.postgres.sources import PostgresSourceRepository
from aioomi.adapters.postgres.test_questions import PostgresTestQuestionStore
from aioomi.adapters.postgres.usage import PostgresUsageLedger
from aioomi.adapters.postgres.webhooks import PostgresWebhookStore
from aioomi.adapters.postgres.workspaces import PostgresWorkspaceRepository

_SCOPE = "SELECT set_config('aioomi.account_id', %s, true), set_config('aioomi.system', %s, true)"
# A read-only unit's batches run without BEGIN: the statements between two pipeline syncs are
# one implicit transaction, which ends (nothing to roll back) when they are answered. The scope
# and read-only mode are set in each batch, and last only for it.
_READ_ONLY_SCOPE = (
    "SELECT set_config('aioomi.account_id', %s, true), set_config('aioomi.system', %s, true), "
    "set_config('transaction_read_only', 'on', true)"
)


class TenantConnection:
    """The unit of work's connection as its repositories see it: the first statement is sent
    in pipeline mode together with ``BEGIN`` and the tenant scope, and answered with them (one
    round trip instead of two); later ones go as they are. Statements sent by other means than
    ``execute`` (``executemany`` on a cursor, …) open the transaction first. The pool's
    connections are in autocommit, so the transaction is ours to BEGIN and COMMIT or ROLLBACK."""

    def __init__(
        self,
        conn: psycopg.AsyncConnection,
        account_id: str | None,
        *,
        read_only: bool = False,
        defer_writes: bool = False,
    ) -> None:
        self._conn = conn
        self._scope = (account_id or "", "off" if account_id else "on")
        self.in_transaction = False
        self.closed = False
        self._piped = False
        self.read_only = read_only
        self._defer_writes = defer_writes
        # Held-back writes: (statement, parameters, the check of its row count).
        self._deferred: list[tuple[Any, Any, Callable[[int], None] | None]] = []

    def defer(self, query: Any, params: Any, check: Callable[[int], None] | None = None) -> bool:
        """Hold a write back until the next statement or the commit, when this unit defers
        writes (then ``True``); ``check`` is given its row count when it is answered."""
        if not self._defer_writes or self.read_only or self.closed:
            return False
        self._deferred.append((query, params, check))
        return True

    async def _send_deferred(self) -> list[tuple[psycopg.AsyncCursor[Any], Callable[[int], None] | None]]:
        """Queue the held-back writes (in pipeline mode); the caller checks them once answered."""
        sent: list[tuple[psycopg.AsyncCursor[Any], Callable[[int], None] | None]] = []
        for query, params, check in self._deferred:
            cur = self._conn.cursor()
            await cur.execute(query, params)
            sent.append((cur, check))
        self._deferred.clear()
        return sent

    async def finish(self, statement: str) -> None:
        """Send the held-back writes and ``statement`` (``COMMIT``) together, with ``BEGIN``
        and the scope when nothing was sent yet: one round trip. A held-back write's check runs
        once it is answered, so a write that can fail its check must write nothing then (as the
        message insert that finds no session of its account)."""
        if not self._deferred:
            await self._conn.execute(statement)
            return
        opening = not self.in_transaction
        self.in_transaction = True
        async with self._conn.pipeline():
            if opening:
                await self._conn.execute("BEGIN")
                await self._conn.execute(_SCOPE, self._scope)
            sent = await self._send_deferred()
            await self._conn.execute(statement)
        _check(sent)

    @property
    def holds_writes(self) -> bool:
        return bool(self._deferred)

    @asynccontextmanager
    async def pipeline(self) -> AsyncIterator[Any]:
        """Pipeline mode for a batch of statements; ``BEGIN`` and the scope, when not sent yet,
        are queued first, so the batch still costs one round trip."""
        async with self._batch(None) as (pipeline, _):
            yield pipeline

    @asynccontextmanager
    async def pipeline_counting(self, query: Any, params: Any) -> AsyncIterator[psycopg.AsyncCursor[Any]]:
        """:meth:`pipeline` whose first statement is ``query``, a write of counters (the rate
        limits), let through in a read-only unit too: its batch sends the scope, the write and
        ``COMMIT`` (an implicit transaction of its own, so the counters' row locks last only
        for the write, as the limiter's autocommitted statement), then the read-only scope and
        the rest of the batch: still one round trip. In a unit that is not read-only the write
        is one more statement of its transaction. Yields the write's cursor, to fetch once the
        batch is answered."""
        async with self._batch((query, params)) as (_, cur):
            assert cur is not None
            yield cur

    @asynccontextmanager
    async def _batch(self, first: tuple[Any, Any] | None) -> AsyncIterator[tuple[Any, psycopg.AsyncCursor[Any] | None]]:
        if self.closed:
            raise RuntimeError("a statement after the unit of work ended")
        sent: list[tuple[psycopg.AsyncCursor[Any], Callable[[int], None] | None]] = []
        written: psycopg.AsyncCursor[Any] | None = None
        async with self._conn.pipeline() as pipeline:
            self._piped = True
            try:
                if self.read_only and first is not None:
                    # The counters in an implicit transaction of their own, committed at once so
                    # their rows are not locked while the reads run (a hot counter, as the
                    # agent's daily one, is shared by every turn); then the reads in another.
                    await self._conn.execute(_SCOPE, self._scope)
                    written = await self._conn.execute(*first)
                    await self._conn.execute("COMMIT")
                    await self._conn.execute(_READ_ONLY_SCOPE, self._scope)
                elif self.read_only:
                    await self._conn.execute(_READ_ONLY_SCOPE, self._scope)
                elif not self.in_transaction:
                    self.in_transaction = True
                    await self._conn.execute("BEGIN")
                    await self._conn.execute(_SCOPE, self._scope)
                sent = await self._send_deferred()
                if first is not None and written is None:
                    written = await self._conn.execute(*first)
                yield pipeline, written
            finally:
                self._piped = False
        _check(sent)

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
        if self.read_only:
            raise RuntimeError("a read-only unit of work sends no batch of writes")
        if not self.in_transaction or self._deferred:
            await self.run(None, None, None)

    async def run(self, cur: psycopg.AsyncCursor[Any] | None, query: Any, params: Any, **kwargs: Any) -> None:
        if self.closed:
            raise RuntimeError("a statement after the unit of work ended")
        if self.read_only:
            if self._piped:  # inside pipeline(), which queued the scope first: same batch
                if cur is not None:
                    await cur.execute(query, params, **kwargs)
                return
            async with self._conn.pipeline():
                await self._conn.execute(_READ_ONLY_SCOPE, self._scope)
                if cur is not None:
                    await cur.execute(query, params, **kwargs)
            return
        if self.in_transaction and not self._deferred:
            if cur is not None:
                await cur.execute(query, params, **kwargs)
            return
        opening = not self.in_transaction
        self.in_transaction = True  # from here on, leaving rolls back (also when this fails)
        async with self._conn.pipeline():
            if opening:
                await self._conn.execute("BEGIN")
                await self._conn.execute(_SCOPE, self._scope)
            sent = await self._send_deferred()
            if cur is not None:
                await cur.execute(query, params, **kwargs)
        _check(sent)


def _check(sent: list[tuple[psycopg.AsyncCursor[Any], Callable[[int], None] | None]]) -> None:
    for cur, check in sent:
        if check is not None:
            check(cur.rowcount)


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

    def __init__(
        self, pool: AsyncConnectionPool, account_id: str | None, *, read_only: bool = False, defer_writes: bool = False
    ) -> None:
        self._pool = pool
        self._account_id = account_id
        self._read_only = read_only
        self._defer_writes = defer_writes
        self._conn: psycopg.AsyncConnection | None = None
        self._tenant: TenantConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            self._conn = await self._pool.getconn()
        except psycopg.Error as error:
            raise translate(error) from error
        # BEGIN and the tenant scope are not sent yet: they go with the first statement, in one
        # round trip (see TenantConnection). A unit of work that sends nothing costs nothing.
        self._tenant = TenantConnection(
            self._conn, self._account_id, read_only=self._read_only, defer_writes=self._defer_writes
        )
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
        self.chat_turns = PostgresChatTurnReader(conn)
        self.feedback = PostgresAnswerFeedbackRepository(conn)
        self.curated_settings = PostgresCuratedSettingsRepository(conn)
        self.question_groups = PostgresQuestionGroupRepository(conn)
        self.test_questions = PostgresTestQuestionStore(conn)
        self.conversation_review = PostgresConversationReviewRepository(conn)
        self.analytics = PostgresAnalyticsRepository(conn)
        self.handoffs = PostgresHandoffRepository(conn)
        self.usage = PostgresUsageLedger(conn)
        self.billing = PostgresBillingStore(conn)
        self.privacy = PostgresPrivacyStore(conn)
        self.webhooks = PostgresWebhookStore(conn)
        self.leads = PostgresLeadStore(conn)
        self.workspaces = PostgresWorkspaceRepository(conn)
        return self

    @property
    def _open(self) -> bool:
        return self._tenant is not None and self._tenant.in_transaction

    async def _abandon(self) -> None:
        # Also a transaction that a pipelined COMMIT left open (a statement before it failed).
        if self._conn is not None and (
            self._open or self._conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)
        ):
            self._close()
            try:
                await self._conn.execute("ROLLBACK")
            except psycopg.Error:
                pass  # the connection is broken; the pool discards it on return
        await self._release()

    async def commit(self) -> None:
        if self._conn is None or self._tenant is None or self._tenant.closed:
            raise RuntimeError("commit() outside an open unit of work")
        if self._tenant.read_only:
            raise RuntimeError("commit() in a read-only unit of work")
        outbox = self.webhooks.drain()
        if outbox:
            await self._commit_with(outbox)
            return
        if not self._tenant.in_transaction and not self._tenant.holds_writes:  # nothing to commit
            self._tenant.closed = True
            return
        try:
            await self._tenant.finish("COMMIT")  # with the held-back writes, in one round trip
        except psycopg.Error as error:
            raise translate(error) from error
        finally:
            self._close()

    async def _commit_with(self, statements: list[tuple[str, dict[str, Any]]]) -> None:
        """The held-back writes, the webhook outbox's statements and ``COMMIT`` in one pipeline
        (with ``BEGIN`` and the scope when nothing was sent yet): one round trip, the same as
        ``COMMIT`` alone. On an error the transaction is still open, and leaving the block rolls
        it back."""
        assert self._conn is not None and self._tenant is not None
        try:
            async with self._tenant.pipeline():
                for query, params in statements:
                    await self._conn.execute(query, params)
                await self._conn.execute("COMMIT")
        except psycopg.Error as error:
            raise translate(error) from error
        self._close()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.webhooks.discard()
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

    def __call__(
        self, *, account_id: str | None, read_only: bool = False, defer_writes: bool = False
    ) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._pool, account_id, read_only=read_only, defer_writes=defer_writes)
