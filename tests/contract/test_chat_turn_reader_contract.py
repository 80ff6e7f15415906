"""The ChatTurnReader contract (a chat turn's one read), on memory and on Postgres: the same
answers. It counts the rate limits in the container's counters (the RateLimiter sees the same
counts), also in a read-only unit of work that is never committed, and reads the allowance,
the owner's status, the session with its recent messages and the keyed message — only the
unit's own account's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from aioomi.adapters.postgres.rate_limiter import HIT_MANY, hit_many_params
from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.chat import MessageStatus, Role
from aioomi.domain.model.chat_turn import TurnQuery
from aioomi.domain.model.rate_limits import RateDecision, RateLimit
from aioomi.domain.model.usage import AllowanceState, PeriodUsage, UsageEntry, UsageKind
from tests.contract.test_chat_store_contract import add, message, session
from tests.unit.chat_support import account, agent_for, store

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TWO_A_MINUTE = RateLimit(name="chat.test.minute", limit=2, window=timedelta(minutes=1))
FIVE_A_DAY = RateLimit(name="chat.test.day", limit=5, window=timedelta(days=1))


@pytest.fixture
async def owners(container):
    return await two_owners(container)


async def two_owners(container):
    mine, theirs = account(), account()
    my_agent, their_agent = agent_for(mine), agent_for(theirs)
    await store(container, mine, my_agent)
    await store(container, theirs, their_agent)
    return mine.id, my_agent, theirs.id, their_agent


async def read(container, account_id: str, **query):
    async with container.uow()(account_id=account_id, read_only=True) as uow:
        return await uow.chat_turns.read(TurnQuery(account_id=account_id, now=query.pop("now", NOW), **query))


async def test_the_rate_limits_are_counted_in_a_read_only_unit_and_kept(container, owners) -> None:
    # Three turns' reads in read-only units, none committed: the counters keep every hit.
    mine, my_agent, _, _ = owners
    hits = ((TWO_A_MINUTE, "visitor-a"), (FIVE_A_DAY, "visitor-a"))
    verdicts = [(await read(container, mine, agent_id=my_agent.id, hits=hits)).decisions for _ in range(3)]
    # Two a minute: the first two pass, the third waits out the minute (60 s); five a day pass.
    assert verdicts == [
        (
            RateDecision(allowed=True, remaining=1, retry_after_s=0),
            RateDecision(allowed=True, remaining=4, retry_after_s=0),
        ),
        (
            RateDecision(allowed=True, remaining=0, retry_after_s=0),
            RateDecision(allowed=True, remaining=3, retry_after_s=0),
        ),
        (
            RateDecision(allowed=False, remaining=0, retry_after_s=60),
            RateDecision(allowed=True, remaining=2, retry_after_s=0),
        ),
    ]
    # Another key is counted apart; a minute later the window starts afresh.
    other = await read(container, mine, agent_id=my_agent.id, hits=((TWO_A_MINUTE, "visitor-b"),))
    assert other.decisions == (RateDecision(allowed=True, remaining=1, retry_after_s=0),)
    later = await read(container, mine, agent_id=my_agent.id, hits=hits[:1], now=NOW + timedelta(minutes=1))
    assert later.decisions == (RateDecision(allowed=True, remaining=1, retry_after_s=0),)


async def test_on_postgres_the_batch_turns_read_only_after_the_counters(postgres_container) -> None:
    """The one write a read-only unit lets through is the counters', sent first and committed
    at once: a write after them in the same batch is refused by the database, the counters stay
    counted, and while the rest of the batch runs the counters are no longer locked (a hot
    counter, as the agent's daily one, is not held for the reads)."""
    mine, my_agent, _, _ = await two_owners(postgres_container)
    hits = ((TWO_A_MINUTE, "visitor-ro"),)
    locks = (
        "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
        "AND (relation = 'rate_limit_counters'::regclass OR locktype = 'transactionid')"
    )
    async with postgres_container.uow()(account_id=mine, read_only=True) as uow:
        tenant = uow.chat_turns._conn
        async with tenant.pipeline_counting(HIT_MANY, hit_many_params(hits, NOW)):
            held = await tenant.execute(locks)
        assert await held.fetchall() == [(0,)]
    async with postgres_container.uow()(account_id=mine, read_only=True) as uow:
        tenant = uow.chat_turns._conn
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            async with tenant.pipeline_counting(HIT_MANY, hit_many_params(hits, NOW)):
                await tenant.execute("UPDATE agents SET name = 'written' WHERE id = %s", (my_agent.id,))
    # Both batches' hits were counted: this is the third of two a minute.
    third = await read(postgres_container, mine, agent_id=my_agent.id, hits=hits)
    assert third.decisions == (RateDecision(allowed=False, remaining=0, retry_after_s=60),)


async def test_the_allowance_owner_session_history_and_keyed_message_in_one_read(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    s = session(my_agent)
    asked = message(s, Role.USER, "Can I return it?", idempotency_key="k1", at=NOW)
    answer = message(s, Role.ASSISTANT, "Yes [1].", reply_to=asked.id, at=NOW + timedelta(seconds=1))
    later = message(s, Role.USER, "Thanks", at=NOW + timedelta(seconds=2))
    await add(container, s, asked, answer, later)
    async with container.uow()(account_id=mine) as uow:
        await uow.usage.add(
            UsageEntry(
                id="use_1",
                account_id=mine,
                agent_id=my_agent.id,
                model="gpt-4o",
                kind=UsageKind.CHAT,
                prompt_tokens=100,
                completion_tokens=20,
                occurred_at=NOW,
            )
        )
        await uow.commit()
    state = await read(
        container,
        mine,
        agent_id=my_agent.id,
        period=NOW.date().replace(day=1),
        owner=True,
        session_id=s.id,
        last=2,
        idempotency_key="k1",
    )
    assert state.decisions == ()
    assert state.allowance == AllowanceState(
        account=PeriodUsage(messages=1, tokens=120), agent=PeriodUsage(messages=1, tokens=120)
    )
    assert state.billing is None  # not asked for
    assert state.owner_statuses == (AccountStatus.ACTIVE,)
    assert state.session.id == s.id
    assert [m.content for m in state.recent] == ["Yes [1].", "Thanks"]  # the last two, in order
    assert state.keyed == (asked, answer)
    assert state.keyed[1].status is MessageStatus.COMPLETE
    # Another account's session is not read, whichever account id the query names.
    their_session = session(their_agent)
    await add(container, their_session)
    for account_id in (mine, theirs):
        async with container.uow()(account_id=mine, read_only=True) as uow:
            state = await uow.chat_turns.read(
                TurnQuery(account_id=account_id, agent_id=my_agent.id, now=NOW, session_id=their_session.id, last=5)
            )
        assert state.session is None and state.recent == ()
