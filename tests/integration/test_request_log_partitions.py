"""Migration 0048 (issue 15): the API request log partitioned by month of ``occurred_at``.

A database filled at the previous schema is migrated: every row stays, with its id, reachable
by its tenant under row-level security; the retention sweep removes the same rows as before on
the same dates. On the partitioned table, the month partitions are created ahead (rows that
landed in the DEFAULT partition move into their new month), the sweep drops the partitions
wholly past the cutoff and deletes in batches only in the cutoff's month, and every partition is
under forced row-level security. The dates are written here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
import pytest

from aioomi.adapters.postgres import migrations
from aioomi.adapters.postgres.migrations import migrate, shipped_migrations
from aioomi.container import Container, container_on_postgres, start, stop
from aioomi.domain.usecases.batched_delete import delete_in_batches
from aioomi.settings import Settings

if TYPE_CHECKING:
    from testkit.postgres import TestPostgres

# (account or None, occurred_at): written at the old schema, in this order (ids 1..7).
OLD_ROWS = [
    ("acct_ada", "2026-06-10 12:00+00"),
    ("acct_ada", "2026-08-31 23:30+00"),
    ("acct_ada", "2026-09-01 00:30+00"),
    ("acct_ada", "2026-11-20 08:00+00"),
    ("acct_bob", "2026-07-15 09:00+00"),
    ("acct_bob", "2026-09-15 09:00+00"),
    (None, "2026-08-01 10:00+00"),
]
CUTOFF = datetime(2026, 9, 1, tzinfo=UTC)
KEPT_AFTER_CUTOFF = {3, 4, 6}  # the rows on or after 2026-09-01


def _insert(conn: psycopg.Connection, account: str | None, at: str) -> int:
    row = conn.execute(
        "INSERT INTO api_request_log (occurred_at, method, route, status, latency_ms, account_id, ip) "
        "VALUES (%s, 'GET', '/v1/agents', 200, 1.5, %s, '203.0.113.9') RETURNING id",
        (at, account),
    ).fetchone()
    assert row is not None
    return int(row[0])


async def _old_database(test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database at the schema before 0048, its request log filled by that schema's SQL."""
    conninfo = await test_postgres.create_database(migrated=False)
    every = shipped_migrations()
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [m for m in every if m.version < "0048"])
    await migrate(conninfo)
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: every)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        assert [_insert(conn, account, at) for account, at in OLD_ROWS] == [1, 2, 3, 4, 5, 6, 7]
    return conninfo


@pytest.fixture
async def old_database(test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    conninfo = await _old_database(test_postgres, monkeypatch)
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture
async def records_on(tmp_path) -> AsyncIterator:
    """The Postgres operational records (the pool runs as the app role) on a given database."""
    containers: list[Container] = []

    async def on(conninfo: str):
        container = container_on_postgres(settings=Settings(data_dir=str(tmp_path / "aioomi")), conninfo=conninfo)
        await start(container)
        containers.append(container)
        return container.operational_records()

    yield on
    for container in containers:
        await stop(container)


def _rows(conninfo: str) -> dict[int, tuple[str | None, str]]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false), set_config('timezone', 'UTC', false)")
        found = conn.execute("SELECT id, account_id, occurred_at::text FROM api_request_log").fetchall()
    return {r[0]: (r[1], r[2]) for r in found}


def _scoped_ids(conninfo: str, account: str) -> set[int]:
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE aioomi_app")
        conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account,))
        return {r[0] for r in conn.execute("SELECT id FROM api_request_log").fetchall()}


def _partitions(conninfo: str) -> dict[str, tuple[bool, bool, int]]:
    """Partition name -> (row security enabled, forced, policies)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'api_request_log'::regclass"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in found}


async def test_a_filled_request_log_is_partitioned_without_losing_or_exposing_a_row(old_database: str) -> None:
    before = _rows(old_database)
    assert (await migrate(old_database))[0] == "0048_request_log_partitions"

    assert _rows(old_database) == before  # every row, its id and its values
    with psycopg.connect(old_database, autocommit=True) as conn:
        kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'api_request_log'").fetchone()
        assert kind == ("p",)
        # The old table is a partition now: its rows were attached, not copied.
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        homes = conn.execute("SELECT DISTINCT tableoid::regclass::text FROM api_request_log").fetchall()
        assert homes == [("api_request_log_unpartitioned",)]
        # New rows number on from the old ones.
        assert _insert(conn, "acct_ada", "2026-11-30 10:00+00") == 8
    # Under row-level security each tenant sees its own rows only (and nobody the anonymous one).
    assert _scoped_ids(old_database, "acct_ada") == {1, 2, 3, 4, 8}
    assert _scoped_ids(old_database, "acct_bob") == {5, 6}
    # Every partition made by the migration is under forced row-level security with a policy.
    partitions = _partitions(old_database)
    # The old table up to the first of next month, then next month's partition, made at migrate time.
    now = datetime.now(UTC)
    next_month = (now.year + now.month // 12, now.month % 12 + 1)  # December -> January of next year
    assert {
        "api_request_log_unpartitioned",
        "api_request_log_default",
        f"api_request_log_p{next_month[0]}{next_month[1]:02d}",
    } <= set(partitions)
    assert all(state == (True, True, 1) for state in partitions.values()), partitions


async def test_the_retention_sweep_removes_the_same_rows_as_before(
    test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch, records_on
) -> None:
    # Before: the old schema, the sweep's statement of that version, in batches of 2.
    old = await _old_database(test_postgres, monkeypatch)
    new = await _old_database(test_postgres, monkeypatch)
    try:
        with psycopg.connect(old, autocommit=True) as conn:
            conn.execute("SELECT set_config('aioomi.system', 'on', false)")
            removed_before = 0
            while True:
                n = conn.execute(
                    "DELETE FROM api_request_log WHERE id IN (SELECT id FROM api_request_log WHERE occurred_at < %s "
                    "ORDER BY occurred_at LIMIT 2 FOR UPDATE SKIP LOCKED)",
                    (CUTOFF,),
                ).rowcount
                removed_before += n
                if n < 2:
                    break
        # After: migrated, the adapter's purge (partitions, then batches of 2).
        await migrate(new)
        records = await records_on(new)
        removed_after = await delete_in_batches(lambda: records.purge_request_log(CUTOFF, 2), 2)

        assert removed_before == removed_after == 4
        assert set(_rows(old)) == set(_rows(new)) == KEPT_AFTER_CUTOFF
    finally:
        test_postgres.drop_database(old)
        test_postgres.drop_database(new)


async def test_months_are_prepared_ahead_and_the_sweep_drops_whole_expired_months(pg_conninfo: str, records_on) -> None:
    records = await records_on(pg_conninfo)
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        # Before its month has a partition, a row lands in the DEFAULT partition (no insert fails).
        early = _insert(conn, "acct_ada", "2030-01-05 10:00+00")
        home = conn.execute("SELECT tableoid::regclass::text FROM api_request_log WHERE id = %s", (early,)).fetchone()
        assert home == ("api_request_log_default",)

    # January to March 2030 (the month of the 15th of January and two ahead), for the request log
    # and for chat messages (migration 0051); again: nothing new.
    assert await records.prepare_partitions(datetime(2030, 1, 15, 12, tzinfo=UTC), 2) == 2 * 3
    assert await records.prepare_partitions(datetime(2030, 1, 15, 12, tzinfo=UTC), 2) == 0
    partitions = _partitions(pg_conninfo)
    assert {"api_request_log_p203001", "api_request_log_p203002", "api_request_log_p203003"} <= set(partitions)
    assert all(state == (True, True, 1) for state in partitions.values()), partitions

    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        home = conn.execute("SELECT tableoid::regclass::text FROM api_request_log WHERE id = %s", (early,)).fetchone()
        assert home == ("api_request_log_p203001",)  # moved out of the DEFAULT partition
        ids = {
            at: _insert(conn, account, at)
            for account, at in [
                ("acct_bob", "2029-12-20 10:00+00"),  # DEFAULT (no December 2029 partition)
                ("acct_ada", "2030-01-31 23:59+00"),
                ("acct_ada", "2030-02-09 10:00+00"),
                ("acct_bob", "2030-02-11 10:00+00"),
                ("acct_ada", "2030-03-02 10:00+00"),
            ]
        }
    # Under row-level security the tenants' rows stay apart in the new partitions too.
    assert _scoped_ids(pg_conninfo, "acct_bob") == {ids["2029-12-20 10:00+00"], ids["2030-02-11 10:00+00"]}

    # Cutoff 10 February 2030: January (2 rows) goes as a partition, December's row and the
    # 9 February row in batches of 1; February and March stay.
    cutoff = datetime(2030, 2, 10, tzinfo=UTC)
    removed = await delete_in_batches(lambda: records.purge_request_log(cutoff, 1), 1)
    assert removed == 4
    assert set(_rows(pg_conninfo)) == {ids["2030-02-11 10:00+00"], ids["2030-03-02 10:00+00"]}
    left = set(_partitions(pg_conninfo))
    assert "api_request_log_p203001" not in left
    assert {"api_request_log_p203002", "api_request_log_p203003", "api_request_log_default"} <= left


async def test_a_month_whose_lock_is_busy_is_deleted_in_batches_instead(pg_conninfo: str, records_on) -> None:
    records = await records_on(pg_conninfo)
    # May and June 2031, of the request log and of chat messages
    assert await records.prepare_partitions(datetime(2031, 5, 15, tzinfo=UTC), 1) == 2 * 2
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        may = [_insert(conn, "acct_ada", at) for at in ("2031-05-02 10:00+00", "2031-05-20 10:00+00")]
        june = _insert(conn, "acct_ada", "2031-06-20 10:00+00")
    # A long reader holds the table: the DROP's ACCESS EXCLUSIVE lock is not granted within the
    # function's 2-second lock timeout, so May stays a partition and its rows go in batches.
    with psycopg.connect(pg_conninfo) as reader:
        reader.execute("SELECT set_config('aioomi.system', 'on', true)")
        reader.execute("SELECT count(*) FROM api_request_log").fetchone()
        removed = await delete_in_batches(
            lambda: records.purge_request_log(datetime(2031, 6, 1, tzinfo=UTC), 1000), 1000
        )
        reader.rollback()
    assert removed == 2
    remaining = _rows(pg_conninfo)
    assert set(remaining) == {june}
    assert not set(may) & set(remaining)
    assert "api_request_log_p203105" in _partitions(pg_conninfo)  # not dropped: its lock was busy
