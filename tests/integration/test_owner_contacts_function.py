"""Migration 0052's ``aioomi_owner_contacts``, in plain SQL as the application role: it answers
a workspace's active, verified owners only for a workspace the caller's scope may see, and the
application role cannot call its inner, unchecked function (which reads across the wall)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors

from tests.integration.test_row_level_security import Tenant, as_app_role, set_scope, tenants  # noqa: F401 - fixtures


async def test_the_owner_contacts_are_read_only_within_the_callers_scope(
    pg_conninfo: str, tenants: tuple[Tenant, Tenant]
) -> None:
    ada, bob = tenants
    async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
        for tenant in (ada, bob):  # each owns their own workspace, as sign-up makes it
            await conn.execute(
                "INSERT INTO workspace_members (workspace_id, account_id, role, created_at) "
                "VALUES (%s, %s, 'owner', now())",
                (tenant.account_id, tenant.account_id),
            )
        # bob also owns ada's workspace: a person ada's scope cannot otherwise read
        await conn.execute(
            "INSERT INTO workspace_members (workspace_id, account_id, role, created_at) "
            "VALUES (%s, %s, 'owner', now() + interval '1 minute')",
            (ada.account_id, bob.account_id),
        )
    query = "SELECT account_id, email FROM aioomi_owner_contacts(%s) ORDER BY ord"
    async with as_app_role(pg_conninfo) as conn:
        async with conn.transaction():
            await set_scope(conn, ada.account_id)
            mine = await (await conn.execute(query, (ada.account_id,))).fetchall()
            theirs = await (await conn.execute(query, (bob.account_id,))).fetchall()
            hidden = await (await conn.execute("SELECT id FROM accounts WHERE id = %s", (bob.account_id,))).fetchall()
        assert mine == [(ada.account_id, "ada@example.com"), (bob.account_id, "bob@example.com")]
        assert theirs == []  # bob's own workspace is not ada's to read
        assert hidden == []  # while bob's account row stays out of ada's scope
        with pytest.raises(pg_errors.InsufficientPrivilege):
            async with conn.transaction():
                await set_scope(conn, ada.account_id)
                await conn.execute("SELECT * FROM aioomi_owner_contacts_unchecked(%s)", (bob.account_id,))
