"""Migrations 0050 and 0051 (issue 15): chat messages partitioned by month of their session's
creation.

A database filled at the previous schema is migrated: every message stays, with its values and
its session's creation time as the partition key, reachable by its tenant only under row-level
security; an Idempotency-Key already used in a session is still refused; the retention sweep
removes the same sessions and messages as before on the same dates. On the partitioned table
the sweep drops the months of sessions wholly past the 12-month cutoff and leaves the rest to
the sessions' batched delete (its cascade). The dates are written here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
import pytest

from aioomi.adapters.postgres import migrations
from aioomi.adapters.postgres.migrations import migrate, shipped_migrations
from aioomi.container import Container, container_on_postgres, start, stop
from aioomi.domain.model.chat import ChatMessage, ChatSession, Role
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.handoff import Handoff, HandoffEvent, HandoffEventKind, HandoffState
from aioomi.domain.model.ids import new_id
from aioomi.domain.usecases.batched_delete import delete_in_batches
from aioomi.settings import Settings
from tests.unit.chat_support import account, agent_for, store

if TYPE_CHECKING:
    from testkit.postgres import TestPostgres

VISITOR = "visitor-0123456789abcdef"
WIDGET = '{"primary_color": "#112233", "position": "right", "theme": "auto"}'

# session -> (account, created_at); agt_bob keeps chats 200 days (agent_chat_retention).
OLD_SESSIONS = {
    "ses_a1": ("acct_ada", "2026-03-10 09:00+00"),
    "ses_a2": ("acct_ada", "2026-11-28 09:00+00"),
    "ses_b1": ("acct_bob", "2026-06-01 09:00+00"),
    "ses_b2": ("acct_bob", "2026-11-02 09:00+00"),
}
# message -> (session, created_at, Idempotency-Key): a message may come months after its session.
OLD_MESSAGES = {
    "msg_1": ("ses_a1", "2026-03-10 09:00+00", "key-1"),
    "msg_2": ("ses_a1", "2026-05-02 10:00+00", None),
    "msg_3": ("ses_a2", "2026-11-28 09:01+00", "key-1"),
    "msg_4": ("ses_a2", "2026-12-01 08:00+00", None),
    "msg_5": ("ses_b1", "2026-06-01 09:01+00", None),
    "msg_6": ("ses_b2", "2026-11-02 09:01+00", "key-2"),
}
# 25 November 2027: the 12-month cutoff is 25 November 2026 (ses_a1 goes, ses_a2 stays);
# agt_bob's 200 days reach back to 9 May 2027 (both of bob's sessions go).
SWEPT_AT = datetime(2027, 11, 25, tzinfo=UTC)
KEPT_SESSIONS = {"ses_a2"}
KEPT_MESSAGES = {"msg_3", "msg_4"}


def _fill(conn: psycopg.Connection) -> None:
    """The accounts, agents, sessions and messages above, written with the old schema's SQL."""
    _owners(conn)
    for session, (owner, at) in OLD_SESSIONS.items():
        _session(conn, session, owner, at)
    for message, (session, at, key) in OLD_MESSAGES.items():
        conn.execute(
            "INSERT INTO chat_messages (id, account_id, agent_id, session_id, role, content, status, "
            "idempotency_key, created_at) SELECT %s, account_id, agent_id, id, 'user', 'Hello?', 'complete', %s, %s "
            "FROM chat_sessions WHERE id = %s",
            (message, key, at, session),
        )
    conn.execute(
        "INSERT INTO handoff_events (account_id, session_id, seq, kind, state, message_id, created_at) "
        "VALUES ('acct_ada', 'ses_a2', 1, 'message', 'with_human', 'msg_4', '2026-12-01 08:00+00')"
    )


def _owners(conn: psycopg.Connection) -> None:
    """ada and bob with an agent each; agt_bob keeps chats 200 days."""
    conn.execute("SELECT set_config('aioomi.system', 'on', false)")
    for name in ("ada", "bob"):
        owner = f"acct_{name}"
        conn.execute(
            "INSERT INTO accounts (id, email, full_name, password_hash, adult_attested_at, "
            "accepted_policy_version, created_at, updated_at) "
            "VALUES (%s, %s, %s, 'x', now(), '2026-02-15', TIMESTAMPTZ '2026-01-05 10:00+00', now())",
            (owner, f"{name}@example.com", name.title()),
        )
        conn.execute(
            "INSERT INTO workspaces (id, name, created_at, updated_at) VALUES (%s, 'W', now(), now()) "
            "ON CONFLICT (id) DO NOTHING",
            (owner,),
        )
        conn.execute(
            "INSERT INTO agents (id, account_id, name, model, temperature, max_tokens, answer_mode, "
            "fallback_message, top_k, min_relevance, widget, public_key, embedding_model, created_at, "
            "updated_at) VALUES (%s, %s, 'A', 'gpt-4o', 0.3, 100, 'grounded', 'No.', 8, 0.5, %s, %s, 'm', "
            "now(), now())",
            (f"agt_{name}", owner, WIDGET, f"pk_{name}_0123456789abcdef"),
        )
    conn.execute("INSERT INTO agent_chat_retention (agent_id, account_id, days) VALUES ('agt_bob', 'acct_bob', 200)")


def _session(conn: psycopg.Connection, session: str, owner: str, at: str) -> None:
    conn.execute(
        "INSERT INTO chat_sessions (id, account_id, agent_id, visitor_id, created_at, last_message_at) "
        "VALUES (%s, %s, %s, 'visitor_0123456789', %s, %s)",
        (session, owner, owner.replace("acct_", "agt_"), at, at),
    )


async def _old_database(test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database at the schema before 0050, its chat filled by that schema's SQL."""
    conninfo = await test_postgres.create_database(migrated=False)
    every = shipped_migrations()
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [m for m in every if m.version < "0050"])
    await migrate(conninfo)
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: every)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _fill(conn)
    return conninfo


@pytest.fixture
async def old_database(test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    conninfo = await _old_database(test_postgres, monkeypatch)
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture
async def container_on(tmp_path) -> AsyncIterator:
    """The Postgres container (the pool runs as the app role) on a given database."""
    containers: list[Container] = []

    async def on(conninfo: str) -> Container:
        container = container_on_postgres(settings=Settings(data_dir=str(tmp_path / "aioomi")), conninfo=conninfo)
        await start(container)
        containers.append(container)
        return container

    yield on
    for container in containers:
        await stop(container)


def _messages(conninfo: str) -> dict[str, tuple[str, str, str, str | None]]:
    """message -> (account, session, created_at, Idempotency-Key), every tenant's."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false), set_config('timezone', 'UTC', false)")
        found = conn.execute(
            "SELECT id, account_id, session_id, created_at::text, idempotency_key FROM chat_messages"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in found}


def _sessions(conninfo: str) -> set[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        return {r[0] for r in conn.execute("SELECT id FROM chat_sessions").fetchall()}


def _scoped_ids(conninfo: str, account: str) -> set[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE aioomi_app")
        conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (account,))
        return {r[0] for r in conn.execute("SELECT id FROM chat_messages").fetchall()}


def _partitions(conninfo: str) -> dict[str, tuple[bool, bool, int]]:
    """Partition name -> (row security enabled, forced, policies)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'chat_messages'::regclass"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in found}


async def test_a_filled_chat_is_partitioned_without_losing_or_exposing_a_message(old_database: str) -> None:
    before = _messages(old_database)
    applied = await migrate(old_database)
    assert applied[:2] == [
        "0050_chat_messages_session_created_at",
        "0051_chat_messages_partitions",
    ]  # later ones follow
    assert _messages(old_database) == before  # every message and its values
    with psycopg.connect(old_database, autocommit=True) as conn:
        assert conn.execute("SELECT relkind FROM pg_class WHERE relname = 'chat_messages'").fetchone() == ("p",)
        conn.execute("SELECT set_config('aioomi.system', 'on', false), set_config('timezone', 'UTC', false)")
        # The old table is the partition of everything before next month: attached, not copied;
        # each message's key is its session's creation time (the dates written above).
        found = conn.execute(
            "SELECT id, session_created_at::text, tableoid::regclass::text FROM chat_messages"
        ).fetchall()
        assert {r[0]: r[1] for r in found} == {
            message: OLD_SESSIONS[OLD_MESSAGES[message][0]][1].replace("+00", ":00+00") for message in before
        }
        assert {r[2] for r in found} == {"chat_messages_unpartitioned"}
        # An Idempotency-Key already used in a session is refused again; in another session it is not.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO chat_messages (id, account_id, agent_id, session_id, role, content, status, "
                "idempotency_key, created_at, session_created_at) SELECT 'msg_again', account_id, agent_id, id, "
                "'user', 'Hello?', 'complete', 'key-1', now(), created_at FROM chat_sessions WHERE id = 'ses_a2'"
            )
        conn.execute(
            "INSERT INTO chat_messages (id, account_id, agent_id, session_id, role, content, status, "
            "idempotency_key, created_at, session_created_at) SELECT 'msg_7', account_id, agent_id, id, "
            "'user', 'Hello?', 'complete', 'key-1', now(), created_at FROM chat_sessions WHERE id = 'ses_b2'"
        )
        # The handoff event's message key is gone; nothing else referenced the messages.
        keys = conn.execute("SELECT count(*) FROM pg_constraint WHERE confrelid = 'chat_messages'::regclass").fetchone()
        assert keys == (0,)
    # Under row-level security each tenant sees its own messages only.
    assert _scoped_ids(old_database, "acct_ada") == {"msg_1", "msg_2", "msg_3", "msg_4"}
    assert _scoped_ids(old_database, "acct_bob") == {"msg_5", "msg_6", "msg_7"}
    # Every partition made by the migration is under forced row-level security with a policy:
    # the old table up to the first of next month, next month's partition, the DEFAULT one.
    partitions = _partitions(old_database)
    now = datetime.now(UTC)
    next_month = (now.year + now.month // 12, now.month % 12 + 1)  # December -> January of next year
    assert {
        "chat_messages_unpartitioned",
        "chat_messages_default",
        f"chat_messages_p{next_month[0]}{next_month[1]:02d}",
    } <= set(partitions)
    assert all(state == (True, True, 1) for state in partitions.values()), partitions


async def test_the_retention_sweep_removes_the_same_chats_as_before(
    test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch, container_on
) -> None:
    # Before: the old schema, the sweep's statement of that version, in batches of 1.
    old = await _old_database(test_postgres, monkeypatch)
    new = await _old_database(test_postgres, monkeypatch)
    try:
        with psycopg.connect(old, autocommit=True) as conn:
            conn.execute("SELECT set_config('aioomi.system', 'on', false)")
            removed_before = 0
            while True:
                n = conn.execute(
                    "DELETE FROM chat_sessions WHERE id IN ("
                    " SELECT s.id FROM chat_sessions s LEFT JOIN agent_chat_retention r ON r.agent_id = s.agent_id"
                    " WHERE s.created_at < greatest(%(cutoff)s, %(now)s - make_interval(days => r.days))"
                    " LIMIT 1 FOR UPDATE OF s SKIP LOCKED)",
                    {"cutoff": datetime(2026, 11, 25, tzinfo=UTC), "now": SWEPT_AT},
                ).rowcount
                removed_before += n
                if n < 1:
                    break
        # After: migrated, the adapter's sweep.
        await migrate(new)
        container = await container_on(new)
        removed_after = await delete_in_batches(lambda: _sweep_chats(container, SWEPT_AT, 1), 1)

        assert removed_before == removed_after == 3
        assert _sessions(old) == _sessions(new) == KEPT_SESSIONS
        assert set(_messages(old)) == set(_messages(new)) == KEPT_MESSAGES
    finally:
        test_postgres.drop_database(old)
        test_postgres.drop_database(new)


async def _sweep_chats(container: Container, now: datetime, limit: int) -> int:
    """One batch of the retention sweep's chats, as the worker runs it (a system unit of work)."""
    async with container.uow()(account_id=None) as uow:
        removed = await uow.privacy.sweep_chats(now, limit)
        await uow.commit()
    return removed


def _add_message(conn: psycopg.Connection, message: str, session: str, at: str) -> None:
    # As the repository writes it: the partition key copied from the session.
    conn.execute(
        "INSERT INTO chat_messages (id, account_id, agent_id, session_id, role, content, status, created_at, "
        "session_created_at) SELECT %s, account_id, agent_id, id, 'user', 'Hello?', 'complete', %s, created_at "
        "FROM chat_sessions WHERE id = %s",
        (message, at, session),
    )


async def test_the_sweep_drops_whole_months_of_expired_sessions(
    test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch, container_on
) -> None:
    conninfo = await _old_database(test_postgres, monkeypatch)
    try:
        await migrate(conninfo)
        container = await container_on(conninfo)
        records = container.operational_records()
        # January to March 2030 (the month of the 15th of January and two ahead)
        # (three for each table partitioned by month: the request log and the messages)
        assert await records.prepare_partitions(datetime(2030, 1, 15, 12, tzinfo=UTC), 2) == 2 * 3
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SELECT set_config('aioomi.system', 'on', false)")
            for session, account, at in [
                ("ses_jan", "acct_ada", "2030-01-20 10:00+00"),
                ("ses_feb_early", "acct_ada", "2030-02-05 10:00+00"),
                ("ses_feb_late", "acct_ada", "2030-02-25 10:00+00"),
                ("ses_bob_mar", "acct_bob", "2030-03-03 10:00+00"),
            ]:
                _session(conn, session, account, at)
            _add_message(conn, "m_jan_1", "ses_jan", "2030-01-20 10:00+00")
            _add_message(conn, "m_jan_2", "ses_jan", "2030-03-28 10:00+00")  # its session's month
            _add_message(conn, "m_feb_early", "ses_feb_early", "2030-02-05 10:00+00")
            _add_message(conn, "m_feb_late", "ses_feb_late", "2030-02-25 10:00+00")
            _add_message(conn, "m_bob_mar", "ses_bob_mar", "2030-03-03 10:00+00")
            homes = dict(conn.execute("SELECT id, tableoid::regclass::text FROM chat_messages").fetchall())
        assert homes["m_jan_2"] == "chat_messages_p203001"
        assert homes["m_feb_late"] == "chat_messages_p203002"
        assert _scoped_ids(conninfo, "acct_bob") == {"msg_5", "msg_6", "m_bob_mar"}

        # 20 February 2031: the 12-month cutoff is 20 February 2030. The old table (before next
        # month) and January 2030 are wholly before it and go as partitions; February's early
        # session goes by the batched delete (its cascade), the late one stays; agt_bob's 200
        # days reach back to August 2030 (all of bob's sessions go, by the batched delete).
        removed = await delete_in_batches(lambda: _sweep_chats(container, datetime(2031, 2, 20, tzinfo=UTC), 1), 1)
        assert removed == 4 + 2 + 1  # the old sessions, ses_jan and ses_feb_early, ses_bob_mar
        assert _sessions(conninfo) == {"ses_feb_late"}
        assert set(_messages(conninfo)) == {"m_feb_late"}
        left = set(_partitions(conninfo))
        assert "chat_messages_p203001" not in left
        assert "chat_messages_unpartitioned" not in left
        assert {"chat_messages_p203002", "chat_messages_p203003", "chat_messages_default"} <= left
    finally:
        test_postgres.drop_database(conninfo)


async def test_a_handoff_event_refers_only_to_a_message_of_its_own_session(pg_conninfo: str, container_on) -> None:
    # The foreign key to chat_messages is gone (0051): the handoff's insert checks the message.
    container = await container_on(pg_conninfo)
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    at = datetime(2030, 1, 20, 10, tzinfo=UTC)
    sessions = [
        ChatSession(id=new_id("ses"), account_id=owner.id, agent_id=agent.id, visitor_id=VISITOR, created_at=at)
        for _ in range(2)
    ]
    async with container.uow()(account_id=owner.id) as uow:
        for session in sessions:
            await uow.chat_sessions.add(session)
        await uow.commit()
    here, elsewhere = sessions
    after = Handoff(state=HandoffState.WITH_HUMAN, seq=1, requested_at=at, taken_at=at)

    def event_with(message: ChatMessage) -> HandoffEvent:
        return HandoffEvent(
            account_id=owner.id,
            session_id=here.id,
            seq=after.seq,
            kind=HandoffEventKind.MESSAGE,
            state=after.state,
            created_at=at,
            message_id=message.id,
        )

    def reply(session: ChatSession) -> ChatMessage:
        return ChatMessage(
            id=new_id("msg"),
            account_id=owner.id,
            agent_id=agent.id,
            session_id=session.id,
            role=Role.OWNER,
            content="Hello, I'm Ana.",
            created_at=at,
        )

    stray = reply(elsewhere)  # stored, but in the other conversation
    with pytest.raises(Conflict):
        async with container.uow()(account_id=owner.id) as uow:
            await uow.handoffs.record(here, 0, after, event_with(stray), stray)
    own = reply(here)
    async with container.uow()(account_id=owner.id) as uow:
        await uow.handoffs.record(here, 0, after, event_with(own), own)
        await uow.commit()
    async with container.uow()(account_id=owner.id) as uow:
        events = await uow.handoffs.events_after(owner.id, here.id, 0, limit=10)
    assert [(e.message_id, m) for e, m in events] == [(own.id, own)]


async def test_a_conversion_stopped_half_way_runs_again(old_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # 0051 runs outside a transaction: stopped after its index builds (the statements before the
    # swap applied, the file not recorded), the next run starts it again from the top.
    every = shipped_migrations()
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: [m for m in every if m.version < "0051"])
    assert await migrate(old_database) == ["0050_chat_messages_session_created_at"]
    (conversion,) = [m for m in every if m.version == "0051"]
    statements = migrations.split_statements(conversion.sql)
    with psycopg.connect(old_database, autocommit=True) as conn:
        for statement in statements[: statements.index(next(s for s in statements if "INDEX CONCURRENTLY" in s)) + 2]:
            conn.execute(statement.encode())
    before = _messages(old_database)
    monkeypatch.setattr(migrations, "shipped_migrations", lambda: every)

    assert (await migrate(old_database))[0] == "0051_chat_messages_partitions"  # later ones follow
    assert _messages(old_database) == before
    assert _scoped_ids(old_database, "acct_bob") == {"msg_5", "msg_6"}
    assert {"chat_messages_unpartitioned", "chat_messages_default"} <= set(_partitions(old_database))


async def test_a_month_whose_lock_is_busy_goes_by_the_sessions_cascade(pg_conninfo: str, container_on) -> None:
    container = await container_on(pg_conninfo)
    records = container.operational_records()
    # May and June 2031, of the request log and of chat messages
    assert await records.prepare_partitions(datetime(2031, 5, 15, tzinfo=UTC), 1) == 2 * 2
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        _owners(conn)
        _session(conn, "ses_may", "acct_ada", "2031-05-02 10:00+00")
        _session(conn, "ses_june", "acct_ada", "2031-06-20 10:00+00")
        _add_message(conn, "m_may", "ses_may", "2031-05-02 10:00+00")
        _add_message(conn, "m_june", "ses_june", "2031-06-20 10:00+00")
    # A long reader holds the messages: the DROP's ACCESS EXCLUSIVE lock is not granted within the
    # function's 2-second lock timeout, so May stays a partition and its session goes in a batch
    # with its messages (the cascade). Cutoff: 12 months before 10 June 2032 = 10 June 2031.
    with psycopg.connect(pg_conninfo) as reader:
        reader.execute("SELECT set_config('aioomi.system', 'on', true)")
        reader.execute("SELECT count(*) FROM chat_messages").fetchone()
        removed = await delete_in_batches(
            lambda: _sweep_chats(container, datetime(2032, 6, 10, tzinfo=UTC), 1000), 1000
        )
        reader.rollback()
    assert removed == 1  # ses_may
    assert _sessions(pg_conninfo) == {"ses_june"}
    assert set(_messages(pg_conninfo)) == {"m_june"}
    assert "chat_messages_p203105" in _partitions(pg_conninfo)  # not dropped: its lock was busy
