"""Migrations 0041-0043 (issue 21) on a database filled through the previous version's schema:
each account becomes a workspace with the same id and the account its owner; every tenant row is
then reachable in its workspace's scope; the tenant tables' foreign keys reference workspaces
(erasing a person no longer cascades into a workspace's data) while the person's own tables
keep referencing accounts; and reads go on while the backfill (0041) and the validation (0043)
run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
import pytest

from aioomi.adapters.postgres import migrations
from aioomi.adapters.postgres.migrations import migrate, shipped_migrations

if TYPE_CHECKING:
    from testkit.postgres import TestPostgres

# Written out from the schema, not read from the migration: the person's own tables ...
PERSONAL = {
    "owner_sessions",
    "one_time_tokens",
    "trusted_devices",
    "account_privacy",
    "privacy_audit_log",
    "data_exports",
    "workspace_members",
}
# ... and the tenant tables that referenced accounts(id) in 0039.
TENANT = {
    "api_keys",
    "agents",
    "usage_entries",
    "usage_counters",
    "usage_caps",
    "billing_accounts",
    "billing_records",
    "meter_events",
    "chat_sessions",
    "chat_messages",
    "agent_chat_retention",
    "widget_refused_origins",
    "agent_curated_answers",
    "question_groups",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "webhook_attempts",
    "agent_lead_forms",
    "leads",
    "handoff_events",
    "handoff_settings",
    "question_group_refreshes",
    "test_questions",
    "test_runs",
}
WIDGET = '{"primary_color": "#112233", "position": "right", "theme": "auto"}'


@pytest.fixture
async def old_database(test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch):
    """A database at the previous version (every migration before 0041), filled by its SQL."""
    conninfo = await test_postgres.create_database(migrated=False)
    every = shipped_migrations()
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [m for m in every if m.version < "0041"])
    await migrate(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        for name in ("ada", "bob"):
            account = f"acct_{name}"
            conn.execute(
                "INSERT INTO accounts (id, email, full_name, password_hash, adult_attested_at, "
                "accepted_policy_version, created_at, updated_at) "
                "VALUES (%s, %s, %s, 'x', now(), '2026-02-15', TIMESTAMPTZ '2026-01-05 10:00+00', now())",
                (account, f"{name}@example.com", name.title()),
            )
            conn.execute(
                "INSERT INTO agents (id, account_id, name, model, temperature, max_tokens, answer_mode, "
                "fallback_message, top_k, min_relevance, widget, public_key, embedding_model, created_at, "
                "updated_at) VALUES (%s, %s, 'A', 'gpt-4o', 0.3, 100, 'grounded', 'No.', 8, 0.5, %s, %s, 'm', "
                "now(), now())",
                (f"agt_{name}", account, WIDGET, f"pk_{name}_0123456789abcdef"),
            )
            conn.execute(
                "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, created_at) "
                "VALUES (%s, %s, 'k', 'aio_x', %s, now())",
                (f"key_{name}", account, f"hash-{name}"),
            )
            conn.execute(
                "INSERT INTO owner_sessions (id, account_id, token_hash, csrf_token, created_at, last_seen_at, "
                "expires_at) VALUES (%s, %s, %s, 'c', now(), now(), now() + interval '1 day')",
                (f"lgn_{name}", account, f"session-{name}"),
            )
            conn.execute("INSERT INTO billing_accounts (account_id, plan_id) VALUES (%s, 'pro')", (account,))
            conn.execute(
                "INSERT INTO usage_counters (account_id, agent_id, period, messages, tokens) "
                "VALUES (%s, %s, DATE '2026-03-01', 3, 300)",
                (account, f"agt_{name}"),
            )
            conn.execute(
                "INSERT INTO chat_sessions (id, account_id, agent_id, visitor_id, created_at, last_message_at) "
                "VALUES (%s, %s, %s, 'visitor_0123456789', now(), now())",
                (f"ses_{name}", account, f"agt_{name}"),
            )
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: every)
    yield conninfo
    test_postgres.drop_database(conninfo)


def _scoped_ids(conninfo: str, workspace: str, table: str, column: str = "id") -> set[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE aioomi_app")
        conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (workspace,))
        return {r[0] for r in conn.execute(f"SELECT {column} FROM {table}").fetchall()}


async def test_each_account_becomes_its_own_workspace_and_every_row_stays_reachable(old_database: str) -> None:
    applied = await migrate(old_database)
    assert applied[:3] == ["0041_workspaces", "0042_workspace_foreign_keys", "0043_validate_workspace_foreign_keys"]

    with psycopg.connect(old_database, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        workspaces = conn.execute("SELECT id, name, created_at::text FROM workspaces ORDER BY id").fetchall()
        members = conn.execute(
            "SELECT workspace_id, account_id, role FROM workspace_members ORDER BY workspace_id"
        ).fetchall()
    assert workspaces == [
        ("acct_ada", "My workspace", "2026-01-05 10:00:00+00"),
        ("acct_bob", "My workspace", "2026-01-05 10:00:00+00"),
    ]
    assert members == [("acct_ada", "acct_ada", "owner"), ("acct_bob", "acct_bob", "owner")]

    # Under row-level security, in the workspace's scope (the same GUC, now the workspace id).
    for name in ("ada", "bob"):
        workspace = f"acct_{name}"
        assert _scoped_ids(old_database, workspace, "workspaces") == {workspace}
        assert _scoped_ids(old_database, workspace, "workspace_members", "account_id") == {workspace}
        assert _scoped_ids(old_database, workspace, "agents") == {f"agt_{name}"}
        assert _scoped_ids(old_database, workspace, "api_keys") == {f"key_{name}"}
        assert _scoped_ids(old_database, workspace, "chat_sessions") == {f"ses_{name}"}
        assert _scoped_ids(old_database, workspace, "billing_accounts", "plan_id") == {"pro"}
        assert _scoped_ids(old_database, workspace, "usage_counters", "agent_id") == {f"agt_{name}"}
        assert _scoped_ids(old_database, workspace, "owner_sessions") == {f"lgn_{name}"}


async def test_tenant_tables_reference_workspaces_and_the_persons_tables_reference_accounts(
    old_database: str,
) -> None:
    await migrate(old_database)
    with psycopg.connect(old_database, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, c.convalidated FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.confrelid IN ('accounts'::regclass, 'workspaces'::regclass) "
            "AND c.conparentid = 0"  # a partition's key is its parent's (chat_messages, 0051)
        ).fetchall()
    to_accounts = {table for table, target, _ in rows if target == "accounts"}
    to_workspaces = {table for table, target, _ in rows if target == "workspaces"}
    assert to_accounts == PERSONAL
    # and, from 0044-0045: the session's chosen workspace, invitations and the audit log; from
    # 0046: the workspace a workspace export holds (the export row is still the person's)
    assert to_workspaces == TENANT | {
        "workspace_members",
        "owner_sessions",
        "workspace_invitations",
        "audit_events",
        "data_exports",
    }
    assert all(valid for *_, valid in rows)


async def test_erasing_a_person_no_longer_cascades_into_the_workspace(old_database: str) -> None:
    await migrate(old_database)
    with psycopg.connect(old_database, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        # bob becomes ada's co-owner, then ada (the person) goes
        conn.execute(
            "INSERT INTO workspace_members (workspace_id, account_id, role, created_at) "
            "VALUES ('acct_ada', 'acct_bob', 'owner', now())"
        )
        conn.execute("DELETE FROM accounts WHERE id = 'acct_ada'")
        assert conn.execute("SELECT id FROM agents WHERE account_id = 'acct_ada'").fetchall() == [("agt_ada",)]
        assert conn.execute("SELECT id FROM owner_sessions WHERE account_id = 'acct_ada'").fetchall() == []
        assert conn.execute("SELECT account_id FROM workspace_members WHERE workspace_id = 'acct_ada'").fetchall() == [
            ("acct_bob",)
        ]
        # deleting the workspace takes its data
        conn.execute("DELETE FROM workspaces WHERE id = 'acct_ada'")
        assert conn.execute("SELECT count(*) FROM agents WHERE account_id = 'acct_ada'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM chat_sessions WHERE account_id = 'acct_ada'").fetchone() == (0,)


@pytest.mark.parametrize("version", ["0041", "0043"])
async def test_reads_and_writes_go_on_while_the_backfill_and_the_validation_run(
    old_database: str, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    every = shipped_migrations()
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [m for m in every if m.version < version])
    await migrate(old_database)
    (step,) = [m for m in every if m.version == version]
    with psycopg.connect(old_database) as running, psycopg.connect(old_database, autocommit=True) as other:
        running.execute(step.sql.encode())  # inside its transaction, not committed yet: it holds its locks
        other.execute("SET lock_timeout = '500ms'")  # a blocked statement fails instead of waiting
        other.execute("SELECT set_config('aioomi.system', 'on', false)")
        assert other.execute("SELECT count(*) FROM agents").fetchone() == (2,)
        assert other.execute("SELECT count(*) FROM accounts").fetchone() == (2,)
        assert other.execute("SELECT count(*) FROM chat_sessions").fetchone() == (2,)
        other.execute("UPDATE agents SET name = 'B' WHERE id = 'agt_bob'")
        running.commit()
