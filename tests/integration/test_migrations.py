"""Schema migrations through ``aioomi migrate``: idempotent, safe when replicas start together,
and refusing to run over a migration that was edited after it was applied."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from aioomi.adapters.postgres import migrations
from aioomi.adapters.postgres.migrations import Migration, MigrationError, migrate, shipped_migrations, split_statements
from tests.integration.processes import AIOOMI, clean_env, database_url, processes, wait_for

if TYPE_CHECKING:
    from testkit.postgres import TestPostgres


def shipped() -> list[str]:
    return [f"{m.version}_{m.name}" for m in shipped_migrations()]


@pytest.fixture
async def empty_database(test_postgres: TestPostgres):
    conninfo = await test_postgres.create_database(migrated=False)
    yield conninfo
    test_postgres.drop_database(conninfo)


def _recorded(conninfo: str) -> list[tuple[str, str]]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT version, checksum FROM schema_migrations ORDER BY version").fetchall()


def _expected_rows() -> list[tuple[str, str]]:
    return [(m.version, m.checksum) for m in shipped_migrations()]


def test_migrate_twice_applies_everything_once_then_nothing(empty_database: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=database_url(empty_database))
    with processes(tmp_path) as spawn:
        first = spawn([*AIOOMI, "migrate"], env=env, name="first")
        assert first.wait(timeout=60) == 0, first.describe()
        assert first.stdout.strip() == f"applied {len(shipped())} migration(s): {', '.join(shipped())}"
        assert _recorded(empty_database) == _expected_rows()

        second = spawn([*AIOOMI, "migrate"], env=env, name="second")
        assert second.wait(timeout=60) == 0, second.describe()
        assert second.stdout.strip() == "applied 0 migration(s); the schema is current"
        assert _recorded(empty_database) == _expected_rows()

    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone() is not None
        assert conn.execute("SELECT to_regclass('jobs') IS NOT NULL").fetchone() == (True,)


def test_two_migrate_processes_started_together_apply_each_migration_once(empty_database: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=database_url(empty_database))
    lock_key = migrations._LOCK_KEY
    # Hold the migration lock so both processes are certainly waiting on it at the same time,
    # then let them race.
    with psycopg.connect(empty_database, autocommit=True) as gate, processes(tmp_path) as spawn:
        gate.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        racers = [spawn([*AIOOMI, "migrate"], env=env, name=f"migrate{i}") for i in (1, 2)]

        def both_waiting() -> bool:
            for racer in racers:
                if not racer.alive():
                    raise AssertionError(f"{racer.name} exited while the lock was held\n{racer.describe()}")
            # Each asks for the lock again and again (a blocked wait would deadlock with a
            # CREATE INDEX CONCURRENTLY of the holder): its last statement is the ask.
            waiting = gate.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_try_advisory_lock(%%'"
            ).fetchone()[0]
            return waiting == 2

        wait_for(both_waiting, timeout=60, interval=0.1, what="both migrate processes to wait for the lock")
        gate.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))

        for racer in racers:
            assert racer.wait(timeout=60) == 0, racer.describe()
        outputs = sorted(racer.stdout.strip() for racer in racers)
        assert outputs == sorted(
            [
                f"applied {len(shipped())} migration(s): {', '.join(shipped())}",
                "applied 0 migration(s); the schema is current",
            ]
        )
    assert _recorded(empty_database) == _expected_rows()


async def test_an_applied_migration_whose_checksum_changed_is_refused(pg_conninfo: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'x' WHERE version = %s", (shipped_migrations()[0].version,)
        )

    first = shipped()[0]
    with pytest.raises(MigrationError, match=first):
        await migrate(pg_conninfo)

    # The CLI says so in one line and exits non-zero.
    with processes(tmp_path) as spawn:
        cli = spawn([*AIOOMI, "migrate"], env=clean_env(DATABASE_URL=database_url(pg_conninfo)), name="migrate")
        assert cli.wait(timeout=60) == 1, cli.describe()
        assert cli.stdout == ""
        (line,) = cli.stderr.splitlines()
        assert line.startswith("aioomi: error: ") and first in line
    with psycopg.connect(pg_conninfo) as conn:
        recorded = conn.execute(
            "SELECT checksum FROM schema_migrations WHERE version = %s", (shipped_migrations()[0].version,)
        ).fetchall()
    assert recorded == [("x",)], "a refused run changes nothing"


async def test_0015_gates_agents_left_at_zero_and_queues_a_reindex_of_every_ready_document(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = shipped_migrations()
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [m for m in every if m.version < "0015"])
    await migrate(empty_database)
    widget = '{"primary_color": "#112233", "position": "right", "theme": "auto"}'
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        conn.execute(
            "INSERT INTO accounts (id, email, full_name, password_hash, adult_attested_at, "
            "accepted_policy_version, created_at, updated_at) "
            "VALUES ('acct_1', 'a@example.com', 'A', 'x', now(), '1', now(), now())"
        )
        for agent, relevance in (("agt_zero", 0.0), ("agt_tuned", 0.3)):
            conn.execute(
                "INSERT INTO agents (id, account_id, name, model, temperature, max_tokens, answer_mode, "
                "fallback_message, top_k, min_relevance, widget, public_key, embedding_model, created_at, updated_at) "
                "VALUES (%s, 'acct_1', 'A', 'gpt-4o', 0.3, 100, 'grounded', 'No.', 8, %s, %s, %s, 'm', now(), now())",
                (agent, relevance, widget, f"pk_{agent}_0123456789abcdef"),
            )
        for doc, status in (("doc_ready", "ready"), ("doc_queued", "queued"), ("doc_failed", "failed")):
            conn.execute(
                "INSERT INTO documents (id, account_id, agent_id, title, source, status, content_hash, blob_key, "
                "size_bytes, created_at, updated_at) "
                "VALUES (%s, 'acct_1', 'agt_zero', 'T', 'text', %s, 'h', 'b', 1, now(), now())",
                (doc, status),
            )
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: every)

    assert await migrate(empty_database) == [f"{m.version}_{m.name}" for m in every if m.version >= "0015"]

    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        agents = conn.execute("SELECT id, min_relevance, max_citations FROM agents ORDER BY id").fetchall()
        jobs = conn.execute("SELECT kind, payload->>'document_id', payload->>'version', status FROM jobs").fetchall()
        titles = conn.execute(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_name = 'knowledge_chunks' AND column_name = 'title'"
        ).fetchall()
    # The agent on the old default 0 gets the calibrated default; a chosen value stays.
    assert agents == [("agt_tuned", 0.3, 3), ("agt_zero", 0.5, 3)]
    assert jobs == [("documents.reindex", "doc_ready", "1", "queued")]
    assert titles == [("''::text",)]


# A file the runner must send outside a transaction: CREATE INDEX CONCURRENTLY is refused inside
# one, and the DO block commits after each row (only allowed outside one).
NO_TRANSACTION = """-- aioomi: no-transaction
-- A probe of the runner (issue 15): the statements go one by one in autocommit.
CREATE TABLE runner_probe (id integer PRIMARY KEY, note text);
CREATE INDEX CONCURRENTLY IF NOT EXISTS runner_probe_note ON runner_probe (note);
DO $$
BEGIN
    FOR i IN 1..3 LOOP
        INSERT INTO runner_probe VALUES (i, 'note;');
        COMMIT;
    END LOOP;
END
$$;
"""


def test_a_no_transaction_file_is_split_into_its_statements() -> None:
    assert split_statements(NO_TRANSACTION) == [
        "-- aioomi: no-transaction\n-- A probe of the runner (issue 15): the statements go one by one in autocommit.\n"
        "CREATE TABLE runner_probe (id integer PRIMARY KEY, note text);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS runner_probe_note ON runner_probe (note);",
        "DO $$\nBEGIN\n    FOR i IN 1..3 LOOP\n        INSERT INTO runner_probe VALUES (i, 'note;');\n"
        "        COMMIT;\n    END LOOP;\nEND\n$$;",
    ]
    assert not Migration(version="9001", name="probe", sql=NO_TRANSACTION).in_transaction
    assert Migration(version="9001", name="probe", sql=NO_TRANSACTION.split("\n", 1)[1]).in_transaction


async def test_a_file_marked_no_transaction_runs_outside_a_transaction(
    pg_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = shipped_migrations()
    probe = Migration(version="9001", name="runner_probe", sql=NO_TRANSACTION)
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [*every, probe])

    assert await migrate(pg_conninfo) == ["9001_runner_probe"]
    assert await migrate(pg_conninfo) == []  # recorded once its last statement succeeded
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM runner_probe").fetchone() == (3,)
        valid = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'runner_probe_note'::regclass")
        assert valid.fetchone() == (True,)
        recorded = conn.execute("SELECT checksum FROM schema_migrations WHERE version = '9001'").fetchall()
    assert recorded == [(probe.checksum,)]


async def test_the_same_statements_in_a_transaction_are_refused_and_not_recorded(
    pg_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = shipped_migrations()
    probe = Migration(version="9001", name="runner_probe", sql=NO_TRANSACTION.split("\n", 1)[1])  # no marker
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [*every, probe])

    with pytest.raises(MigrationError, match="9001_runner_probe"):
        await migrate(pg_conninfo)
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('runner_probe')").fetchone() == (None,)  # rolled back
        assert conn.execute("SELECT count(*) FROM schema_migrations WHERE version = '9001'").fetchone() == (0,)
