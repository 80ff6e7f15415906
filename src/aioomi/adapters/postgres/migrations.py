"""Schema migrations: ordered SQL files shipped in the package, applied once each.

Each file ``NNNN_name.sql`` runs in its own transaction and is recorded in
``schema_migrations`` with a checksum. A file whose first line is ``-- aioomi: no-transaction``
runs outside a transaction instead (``CREATE INDEX CONCURRENTLY``, batches that commit as they
go): its statements are sent one by one in autocommit and the file is recorded once the last one
succeeds, so each statement must be safe to run again (``IF NOT EXISTS``, a check of the
catalog) should a run stop half-way. Such a file ends each statement with ``;`` at the end of a
line, and quotes function bodies with ``$$``. The whole run holds a session advisory lock, so
replicas that start together apply each migration exactly once: the second waits, then
finds nothing left to do.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from importlib import resources

import msgspec
import psycopg

from aioomi.adapters.postgres.errors import describe_conninfo, translate
from aioomi.domain.model.errors import AioomiError, Unavailable

_LOCK_KEY = 0x4A10_0111  # arbitrary, constant: "aioomi migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_NO_TRANSACTION = "-- aioomi: no-transaction"

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class Migration(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def in_transaction(self) -> bool:
        """False for a file marked ``-- aioomi: no-transaction`` on its first line."""
        return self.sql.split("\n", 1)[0].strip() != _NO_TRANSACTION


def split_statements(sql: str) -> list[str]:
    """The statements of a no-transaction file: each ends with ``;`` at the end of a line
    outside a ``$$``-quoted body; comment-only pieces are dropped."""
    statements: list[str] = []
    current: list[str] = []
    quoted = False
    for line in sql.splitlines():
        current.append(line)
        if line.count("$$") % 2:
            quoted = not quoted
        if not quoted and line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            statements.append("\n".join(current))
            current = []
    statements.append("\n".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(piece: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in piece.splitlines())


class MigrationError(AioomiError):
    code = "migration_failed"
    title = "The database schema could not be migrated"


def shipped_migrations() -> list[Migration]:
    """Every migration in this package, in order."""
    found = []
    for entry in resources.files("aioomi.adapters.postgres").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(version=match[1], name=match[2], sql=entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("Two migration files share a version number.")
    return found


async def applied_versions(conn: psycopg.AsyncConnection) -> dict[str, str]:
    """``{version: checksum}`` of what the database has applied ({} before the first run)."""
    exists = await (await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = await (await conn.execute("SELECT version, checksum FROM schema_migrations")).fetchall()
    return dict(rows)


async def pending_migrations(conn: psycopg.AsyncConnection) -> list[str]:
    """Versions shipped with this code that the database has not applied yet."""
    applied = await applied_versions(conn)
    return [f"{m.version}_{m.name}" for m in shipped_migrations() if m.version not in applied]


async def migrate(conninfo: str, *, connect_timeout_s: float = 10.0) -> list[str]:
    """Apply every pending migration; return the ones this call applied.

    Safe to run concurrently from several processes and to run again: the advisory lock
    serialises runs and the recorded versions make each file apply once.
    """
    try:
        async with await psycopg.AsyncConnection.connect(
            conninfo, autocommit=True, connect_timeout=max(1, round(connect_timeout_s))
        ) as conn:
            await _take_lock(conn)
            try:
                return await _apply_pending(conn)
            finally:
                if not conn.broken:  # a broken connection released the lock with the session
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    except psycopg.OperationalError as error:
        raise Unavailable(
            f"Cannot connect to the database at {describe_conninfo(conninfo)}: {_failure_reason(error)}",
            code="database_unavailable",
        ) from error
    except psycopg.Error as error:
        raise translate(error) from error


async def _take_lock(conn: psycopg.AsyncConnection) -> None:
    """The migrations' advisory lock, asked for again every 0.2 s rather than waited for: a
    session waiting for it would be in a statement, and CREATE INDEX CONCURRENTLY in the
    holder's no-transaction file waits for every statement older than itself (a deadlock)."""
    while True:
        row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,))).fetchone()
        if row and row[0]:
            return
        await asyncio.sleep(0.2)


def _failure_reason(error: psycopg.OperationalError) -> str:
    """The cause in libpq's message ("Connection refused"), not the hint on its last line
    ("Is the server running on that host...?"), which says nothing of what went wrong."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return lines[0].rsplit(" failed: ", 1)[-1]


async def _apply_pending(conn: psycopg.AsyncConnection) -> list[str]:
    await conn.execute(_CREATE_TABLE)
    applied = await applied_versions(conn)
    done: list[str] = []
    for migration in shipped_migrations():
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise MigrationError(
                    f"Migration {migration.version}_{migration.name} was changed after it was applied; "
                    "add a new migration instead of editing an applied one."
                )
            continue
        try:
            if migration.in_transaction:
                async with conn.transaction():
                    await conn.execute(migration.sql.encode())
                    await _record(conn, migration)
            else:
                for statement in split_statements(migration.sql):
                    await conn.execute(statement.encode())
                await _record(conn, migration)
        except psycopg.errors.Error as error:
            if isinstance(error, psycopg.OperationalError):
                raise
            raise MigrationError(
                f"Migration {migration.version}_{migration.name} failed: {error.diag.message_primary or error}"
            ) from error
        done.append(f"{migration.version}_{migration.name}")
    return done


async def _record(conn: psycopg.AsyncConnection, migration: Migration) -> None:
    await conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
        (migration.version, migration.name, migration.checksum),
    )
