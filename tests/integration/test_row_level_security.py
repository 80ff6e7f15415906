"""Row-level security, in plain SQL: the second wall between tenants holds even when a query
forgets its own ``WHERE account_id = …``. The application role is what the pool runs as; it is
no superuser, owns nothing and cannot bypass the policies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pg_errors

from aioomi.container import Container, container_on_postgres, start, stop
from aioomi.domain.model.errors import AioomiError
from aioomi.settings import Settings

APP_ROLE = "aioomi_app"
TENANT_TABLES = {  # table -> the column naming the owning account
    "accounts": "id",
    "owner_sessions": "account_id",
    "api_keys": "account_id",
    "one_time_tokens": "account_id",
}


# Tables without row-level security, each with the reason. Every other table of the schema
# must be under FORCE ROW LEVEL SECURITY with at least one policy: a new table that is neither
# fails test_every_table_is_under_forced_rls_or_listed_as_a_system_table.
SYSTEM_TABLES = {
    "schema_migrations": "the migration runner's bookkeeping (versions and checksums); the app role may only read it",
    "jobs": "the job queue: no tenant column (payloads name accounts), enqueued inside tenant "
    "transactions and claimed by the worker across tenants",
    "rate_limit_counters": "counters keyed by SHA-256 of IPs and e-mail addresses, shared by every replica "
    "before anyone is authenticated; no tenant data",
}


@dataclass(frozen=True)
class Tenant:
    account_id: str
    rows: dict[str, set[str]]  # table -> ids of the tenant's rows


async def _seed(conn: psycopg.AsyncConnection, name: str, sessions: int, keys: int) -> Tenant:
    account = f"acct_{name}"
    rows: dict[str, set[str]] = {
        "accounts": {account},
        "owner_sessions": set(),
        "api_keys": set(),
        "one_time_tokens": set(),
    }
    await conn.execute(
        "INSERT INTO accounts (id, email, full_name, password_hash, email_verified_at, adult_attested_at, "
        "accepted_policy_version, status, created_at, updated_at) "
        "VALUES (%s, %s, %s, 'hash', now(), now(), '2026-02-15', 'active', now(), now())",
        (account, f"{name}@example.com", name.title()),
    )
    await conn.execute(  # the person's own workspace, as sign-up makes it (the tenant key)
        "INSERT INTO workspaces (id, name, created_at, updated_at) VALUES (%s, 'W', now(), now())", (account,)
    )
    for n in range(sessions):
        await conn.execute(
            "INSERT INTO owner_sessions (id, account_id, token_hash, csrf_token, created_at, last_seen_at, expires_at) "
            "VALUES (%s, %s, %s, 'csrf', now(), now(), now() + interval '1 day')",
            (f"lgn_{name}{n}", account, f"session-hash-{name}{n}"),
        )
        rows["owner_sessions"].add(f"lgn_{name}{n}")
    for n in range(keys):
        await conn.execute(
            "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, created_at) "
            "VALUES (%s, %s, 'key', 'aio_x', %s, now())",
            (f"key_{name}{n}", account, f"key-hash-{name}{n}"),
        )
        rows["api_keys"].add(f"key_{name}{n}")
    await conn.execute(
        "INSERT INTO one_time_tokens (id, account_id, purpose, token_hash, created_at, expires_at) "
        "VALUES (%s, %s, 'verify_email', %s, now(), now() + interval '1 hour')",
        (f"tok_{name}", account, f"token-hash-{name}"),
    )
    rows["one_time_tokens"].add(f"tok_{name}")
    return Tenant(account, rows)


@pytest.fixture
async def tenants(pg_conninfo: str) -> tuple[Tenant, Tenant]:
    """Two accounts with sessions, keys and tokens, written as the database owner."""
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        ada = await _seed(conn, "ada", sessions=2, keys=3)
        bob = await _seed(conn, "bob", sessions=1, keys=2)
    return ada, bob


@asynccontextmanager
async def as_app_role(conninfo: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection acting as the application role, as the pool's are."""
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f"SET ROLE {APP_ROLE}")
        yield conn


async def ids(conn: psycopg.AsyncConnection, table: str) -> set[str]:
    cur = await conn.execute(f"SELECT id FROM {table}")
    return {row[0] for row in await cur.fetchall()}


async def set_scope(conn: psycopg.AsyncConnection, account_id: str | None, system: str = "off") -> None:
    await conn.execute(
        "SELECT set_config('aioomi.account_id', %s, true), set_config('aioomi.system', %s, true)",
        (account_id or "", system),
    )


# -- every table ----------------------------------------------------------------------------------


async def test_every_table_is_under_forced_rls_or_listed_as_a_system_table(pg_conninfo: str) -> None:
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        tables = await (
            await conn.execute(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
            )
        ).fetchall()
    names = {name for name, *_ in tables}
    assert len(names) >= 28 and set(TENANT_TABLES) <= names
    assert set(SYSTEM_TABLES) <= names, "a listed system table no longer exists: drop it from the list"
    unprotected = [
        (name, enabled, forced, policies)
        for name, enabled, forced, policies in tables
        if name not in SYSTEM_TABLES and not (enabled and forced and policies >= 1)
    ]
    assert unprotected == [], f"tables without forced row-level security and a policy: {unprotected}"


# -- the role -----------------------------------------------------------------------------------


async def test_the_app_role_is_no_superuser_owns_nothing_and_cannot_bypass_rls(pg_conninfo: str) -> None:
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        role = await (
            await conn.execute(
                "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication "
                "FROM pg_roles WHERE rolname = %s",
                (APP_ROLE,),
            )
        ).fetchone()
        assert role == (False, False, False, False, False, False)
        owned = await (
            await conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s "
                "UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = %s "
                "UNION ALL SELECT n.nspname FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE r.rolname = %s",
                (APP_ROLE, APP_ROLE, APP_ROLE),
            )
        ).fetchall()
        assert owned == []
        # Nor does it inherit those powers from a role it belongs to.
        inherited = await (
            await conn.execute(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s AND (g.rolsuper OR g.rolbypassrls)",
                (APP_ROLE,),
            )
        ).fetchall()
        assert inherited == []
        for table in TENANT_TABLES:
            owner, enabled, forced = await (
                await conn.execute(
                    "SELECT pg_get_userbyid(relowner), relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relname = %s AND relkind = 'r'",
                    (table,),
                )
            ).fetchone()
            assert (enabled, forced) == (True, True), table
            assert owner != APP_ROLE, table


async def test_the_pools_connections_run_as_the_app_role(postgres_container: Container, tenants) -> None:
    pool = postgres_container.database().pool
    async with pool.connection() as first, pool.connection() as second, pool.connection() as third:
        for conn in (first, second, third):
            user, superuser = await (
                await conn.execute("SELECT current_user, current_setting('is_superuser')")
            ).fetchone()
            assert (user, superuser) == (APP_ROLE, "off")
            # Outside a unit of work no tenant is set: nothing is visible.
            for table in TENANT_TABLES:
                assert await ids(conn, table) == set(), table


# -- reads --------------------------------------------------------------------------------------


async def test_a_tenant_sees_only_its_own_rows_even_without_a_where_clause(
    pg_conninfo: str, tenants: tuple[Tenant, Tenant]
) -> None:
    async with as_app_role(pg_conninfo) as conn:
        for tenant in tenants:
            async with conn.transaction():
                await set_scope(conn, tenant.account_id)
                for table, column in TENANT_TABLES.items():
                    assert await ids(conn, table) == tenant.rows[table], (tenant.account_id, table)
                    owners = await (await conn.execute(f"SELECT DISTINCT {column} FROM {table}")).fetchall()
                    assert owners == [(tenant.account_id,)], table
                    counted = await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone()
                    assert counted == (len(tenant.rows[table]),)
                # Asking for another tenant's rows by name finds nothing either.
                other = next(t for t in tenants if t is not tenant)
                found = await (
                    await conn.execute("SELECT id FROM api_keys WHERE account_id = %s", (other.account_id,))
                ).fetchall()
                assert found == []


async def test_with_no_tenant_set_nothing_is_visible_and_the_system_scope_sees_all(
    pg_conninfo: str, tenants: tuple[Tenant, Tenant]
) -> None:
    everyone = {table: set().union(*(t.rows[table] for t in tenants)) for table in TENANT_TABLES}
    async with as_app_role(pg_conninfo) as conn:
        for table in TENANT_TABLES:  # never set in this session
            assert await ids(conn, table) == set(), table
        async with conn.transaction():
            await set_scope(conn, None, system="off")  # set, but empty
            for table in TENANT_TABLES:
                assert await ids(conn, table) == set(), table
        async with conn.transaction():
            await set_scope(conn, None, system="on")
            for table in TENANT_TABLES:
                assert await ids(conn, table) == everyone[table], table
        # Transaction-local: the settings end with their transaction.
        for table in TENANT_TABLES:
            assert await ids(conn, table) == set(), table


async def test_a_unit_of_work_leaves_no_tenant_behind_on_its_pooled_connection(
    pg_conninfo: str, tmp_path: Path, tenants: tuple[Tenant, Tenant]
) -> None:
    ada, _ = tenants
    settings = Settings(data_dir=str(tmp_path / "aioomi"), db_pool_min=1, db_pool_max=1)  # one connection, reused
    container = container_on_postgres(settings=settings, conninfo=pg_conninfo)
    await start(container)
    try:
        async with container.uow()(account_id=ada.account_id) as uow:
            assert [k.id for k in await uow.api_keys.list(ada.account_id)] != []
            await uow.commit()
        async with container.uow()(account_id=None) as uow:
            assert await uow.accounts.get(ada.account_id) is not None
        async with container.database().pool.connection() as conn:
            for table in TENANT_TABLES:
                assert await ids(conn, table) == set(), table
    finally:
        await stop(container)


# -- writes -------------------------------------------------------------------------------------


async def test_a_tenant_cannot_write_rows_of_another(pg_conninfo: str, tenants: tuple[Tenant, Tenant]) -> None:
    ada, bob = tenants
    refused_inserts = [
        (
            "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, created_at) "
            "VALUES ('key_planted', %s, 'x', 'aio_x', 'planted-hash', now())",
            (bob.account_id,),
        ),
        (
            "INSERT INTO owner_sessions (id, account_id, token_hash, csrf_token, created_at, last_seen_at, expires_at) "
            "VALUES ('lgn_planted', %s, 'planted', 'c', now(), now(), now() + interval '1 day')",
            (bob.account_id,),
        ),
        (
            "INSERT INTO one_time_tokens (id, account_id, purpose, token_hash, created_at, expires_at) "
            "VALUES ('tok_planted', %s, 'reset_password', 'planted', now(), now() + interval '1 hour')",
            (bob.account_id,),
        ),
        (
            "INSERT INTO accounts (id, email, full_name, password_hash, adult_attested_at, accepted_policy_version, "
            "created_at, updated_at) VALUES ('acct_planted', 'p@example.com', 'P', 'h', now(), 'v', now(), now())",
            (),
        ),
        # Moving one's own row over to another account breaks the policy's WITH CHECK.
        ("UPDATE api_keys SET account_id = %s WHERE account_id = %s", (bob.account_id, ada.account_id)),
        ("UPDATE owner_sessions SET account_id = %s", (bob.account_id,)),
        ("UPDATE accounts SET id = 'acct_renamed'", ()),
    ]
    async with as_app_role(pg_conninfo) as conn:
        for query, params in refused_inserts:
            with pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"):
                async with conn.transaction():
                    await set_scope(conn, ada.account_id)
                    await conn.execute(query, params)
        async with conn.transaction():
            await set_scope(conn, ada.account_id)
            # Bob's rows are out of reach: nothing to update or delete.
            assert (
                await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE account_id = %s", (bob.account_id,))
            ).rowcount == 0
            assert (
                await conn.execute("UPDATE accounts SET full_name = 'Mallory' WHERE id = %s", (bob.account_id,))
            ).rowcount == 0
            assert (
                await conn.execute("DELETE FROM owner_sessions WHERE account_id = %s", (bob.account_id,))
            ).rowcount == 0
            assert (await conn.execute("DELETE FROM one_time_tokens")).rowcount == len(ada.rows["one_time_tokens"])
            assert (await conn.execute("UPDATE api_keys SET name = 'renamed'")).rowcount == len(ada.rows["api_keys"])
        # With no tenant, no write lands anywhere.
        async with conn.transaction():
            with pytest.raises(pg_errors.InsufficientPrivilege):
                await conn.execute(refused_inserts[0][0], refused_inserts[0][1])

    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as owner:
        for table in TENANT_TABLES:
            stored = await ids(owner, table)
            assert bob.rows[table] <= stored, table
            assert not {i for i in stored if "planted" in i or "renamed" in i}, table
        bobs = await (await owner.execute("SELECT full_name FROM accounts WHERE id = %s", (bob.account_id,))).fetchone()
        assert bobs == ("Bob",)
        revoked = await (
            await owner.execute(
                "SELECT count(*) FROM api_keys WHERE account_id = %s AND revoked_at IS NOT NULL", (bob.account_id,)
            )
        ).fetchone()
        assert revoked == (0,)


# -- failing closed -----------------------------------------------------------------------------


async def test_a_pool_that_cannot_take_the_app_role_never_serves_across_tenants(
    pg_conninfo: str, tmp_path: Path, tenants: tuple[Tenant, Tenant]
) -> None:
    ada, bob = tenants
    settings = Settings(data_dir=str(tmp_path / "aioomi"), db_app_role="aioomi_misspelt_role")
    container = container_on_postgres(settings=settings, conninfo=pg_conninfo)
    try:
        await start(container)
    except AioomiError:
        return  # refusing to start is a fine answer
    try:
        async with container.uow()(account_id=ada.account_id) as uow:
            assert await uow.accounts.get(bob.account_id) is None
            assert await uow.api_keys.list(bob.account_id) == []
    except AioomiError:
        pass  # refusing to serve is a fine answer too
    finally:
        await stop(container)
