"""The API request log names the account of an owner API call (cookie or API key)."""

from __future__ import annotations

import psycopg
import pytest

from tests.integration.accounts_support import bearer, pg_app, sign_up_and_verify  # noqa: F401 - fixtures


async def logged(app) -> list[tuple]:
    await app.client.app.state.request_log_writer.flush()
    async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT method, route, status, account_id FROM api_request_log "
            "WHERE route LIKE '/api/v1/agents%%' OR route LIKE '/api/v1/api-keys%%' ORDER BY id"
        )
        return await cur.fetchall()


async def test_owner_api_calls_are_logged_with_their_account(pg_app):
    owner = await sign_up_and_verify(pg_app, "logged@example.com")
    assert (await pg_app.client.get("/api/v1/agents", headers=owner.headers())).status_code == 200
    created = await pg_app.client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]}, headers=owner.headers()
    )
    assert created.status_code == 201, created.text
    async with pg_app.another_client() as stranger:
        by_key = await stranger.get("/api/v1/agents", headers=bearer(created.json()["secret"]))
        assert by_key.status_code == 200
        anonymous = await stranger.get("/api/v1/agents")
        assert anonymous.status_code == 401

    rows = await logged(pg_app)

    assert rows == [
        ("GET", "/api/v1/agents", 200, owner.account_id),
        ("POST", "/api/v1/api-keys", 201, owner.account_id),
        ("GET", "/api/v1/agents", 200, owner.account_id),
        ("GET", "/api/v1/agents", 401, None),
    ]


async def test_a_log_write_holds_the_account_so_the_purge_cannot_slip_in_between(pg_app) -> None:
    """The insert that names an account locks its row (FOR KEY SHARE) until the batch commits:
    the purge's DELETE of the account cannot run between the decision and the commit (it waits,
    and its last sweep of the log then removes the row). Shown with the batch's transaction
    left open: the DELETE cannot take the row (lock_timeout is the probe, not a timing)."""
    from datetime import UTC, datetime

    from aioomi.adapters.postgres.request_log import _INSERT

    owner = await sign_up_and_verify(pg_app, "held@example.com")
    async with (
        await psycopg.AsyncConnection.connect(pg_app.conninfo) as writer,
        await psycopg.AsyncConnection.connect(pg_app.conninfo, autocommit=True) as purge,
    ):
        await writer.execute(
            _INSERT,
            (
                [datetime(2026, 3, 1, tzinfo=UTC)],
                ["GET"],
                ["/api/v1/agents"],
                [200],
                [1.0],
                [owner.account_id],
                [None],
                ["203.0.113.7"],
            ),
        )
        row = await (
            await writer.execute("SELECT account_id, ip FROM api_request_log WHERE ip = '203.0.113.7'")
        ).fetchone()
        assert row == (owner.account_id, "203.0.113.7")  # active: named, and its account row held
        await purge.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            await purge.execute("DELETE FROM accounts WHERE id = %s", (owner.account_id,))
        await writer.rollback()
        await purge.execute("DELETE FROM accounts WHERE id = %s", (owner.account_id,))  # free once it ends
