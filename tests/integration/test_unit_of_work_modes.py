"""The Postgres unit of work's two cheaper modes (issue 15): a read-only unit sends no BEGIN and
no ROLLBACK (each batch is one implicit transaction carrying the tenant scope and read-only mode,
so the database itself refuses a write), and a unit that defers writes sends them with its next
statement or its COMMIT. Both keep the tenant scope; neither returns a connection to the pool
with a transaction left open."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from aioomi.domain.model.chat import Role
from aioomi.domain.model.errors import AioomiError, Conflict
from tests.contract.test_chat_store_contract import T0, add, message, session
from tests.integration.test_chat_round_trips import COUNTING, counting_round_trips
from tests.unit.chat_support import account, agent_for, store


@pytest.fixture
async def owners(postgres_container):
    mine, theirs = account(), account()
    my_agent, their_agent = agent_for(mine), agent_for(theirs)
    await store(postgres_container, mine, my_agent)
    await store(postgres_container, theirs, their_agent)
    return mine.id, my_agent, theirs.id, their_agent


async def test_a_read_only_unit_costs_one_round_trip_per_read_and_the_database_refuses_its_writes(
    postgres_container, owners, monkeypatch
) -> None:
    mine, my_agent, theirs, their_agent = owners
    s, their_session = session(my_agent), session(their_agent)
    await add(postgres_container, s)
    await add(postgres_container, their_session)
    uow_factory = postgres_container.uow()
    with counting_round_trips(monkeypatch) as trips:
        token = COUNTING.set(True)
        try:
            async with uow_factory(account_id=mine, read_only=True) as uow:
                assert await uow.chat_sessions.get(mine, s.id) == s
                # The second read carries the scope again: their session stays hidden though
                # the statement names their account (only row-level security hides it).
                assert await uow.chat_sessions.get(theirs, their_session.id) is None
        finally:
            COUNTING.reset(token)
    assert trips.count == 2  # two reads, nothing to begin or end
    async with uow_factory(account_id=mine, read_only=True) as uow:
        with pytest.raises(AioomiError):
            await uow.chat_sessions.delete(mine, s.id)
    async with uow_factory(account_id=mine) as uow:
        assert await uow.chat_sessions.get(mine, s.id) == s


async def test_held_back_writes_go_with_the_commit_in_one_round_trip(postgres_container, owners, monkeypatch) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent)
    await add(postgres_container, s)
    question = message(s, Role.USER, "Hi", idempotency_key="k")
    answer = message(s, Role.ASSISTANT, "Hello", reply_to=question.id, at=T0 + timedelta(seconds=1))
    with counting_round_trips(monkeypatch) as trips:
        token = COUNTING.set(True)
        try:
            async with postgres_container.uow()(account_id=mine, defer_writes=True) as uow:
                await uow.chat_messages.add(question)
                await uow.chat_messages.add(answer)
                await uow.chat_sessions.touch(mine, s.id, T0 + timedelta(minutes=1))
                await uow.commit()
        finally:
            COUNTING.reset(token)
    assert trips.count == 1  # BEGIN, scope, two inserts, the touch and COMMIT, sent together
    async with postgres_container.uow()(account_id=mine) as uow:
        assert await uow.chat_messages.list_for_session(mine, s.id) == [question, answer]


async def test_a_failed_pipelined_commit_rolls_back_before_the_connection_goes_back(
    postgres_container, owners, caplog
) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent)
    await add(postgres_container, s, message(s, Role.USER, "Hi", idempotency_key="k"))
    caplog.set_level(logging.WARNING, logger="psycopg.pool")
    with pytest.raises(Conflict):
        async with postgres_container.uow()(account_id=mine, defer_writes=True) as uow:
            await uow.chat_messages.add(message(s, Role.USER, "Hi again", idempotency_key="k"))
            await uow.commit()
    # The unit of work ended the failed transaction itself: the pool had nothing to roll back.
    assert [r.getMessage() for r in caplog.records if "rolling back" in r.getMessage()] == []
    async with postgres_container.uow()(account_id=mine) as uow:
        assert [m.content for m in await uow.chat_messages.list_for_session(mine, s.id)] == ["Hi"]
