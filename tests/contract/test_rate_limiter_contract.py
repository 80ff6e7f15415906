"""The RateLimiter contract, on memory and on Postgres: the same tests, the same verdicts."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.memory.clock import ManualClock
from aioomi.adapters.memory.rate_limiter import InMemoryRateLimiter
from aioomi.adapters.postgres.rate_limiter import PostgresRateLimiter
from aioomi.domain.model.rate_limits import RateLimit

SIGN_IN = RateLimit(name="sign_in_ip", limit=3, window=timedelta(minutes=1))


async def _autocommit(conn: psycopg.AsyncConnection) -> None:
    await conn.set_autocommit(True)


@pytest.fixture
async def pool(pg_conninfo: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(pg_conninfo, min_size=1, max_size=10, configure=_autocommit, open=False)
    await pool.open(wait=True)
    yield pool
    await pool.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["memory", "postgres"])
def limiter(request: pytest.FixtureRequest, clock: ManualClock):
    if request.param == "memory":
        return InMemoryRateLimiter(clock)
    return PostgresRateLimiter(request.getfixturevalue("pool"), clock)


async def test_the_limit_is_honoured_exactly(limiter) -> None:
    decisions = [await limiter.hit(SIGN_IN, "203.0.113.7") for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert [d.retry_after_s for d in decisions[:3]] == [0, 0, 0]
    assert all(d.retry_after_s == 60 for d in decisions[3:])


async def test_keys_and_rules_are_counted_apart(limiter) -> None:
    other_rule = RateLimit(name="sign_in_email", limit=3, window=timedelta(minutes=1))
    for _ in range(4):
        await limiter.hit(SIGN_IN, "a")
    assert not (await limiter.hit(SIGN_IN, "a")).allowed
    on_other_key = await limiter.hit(SIGN_IN, "b")
    on_other_rule = await limiter.hit(other_rule, "a")
    assert on_other_key.allowed and on_other_key.remaining == 2
    assert on_other_rule.allowed and on_other_rule.remaining == 2


async def test_the_window_frees_the_key_once_it_has_passed(limiter, clock: ManualClock) -> None:
    for _ in range(3):
        await limiter.hit(SIGN_IN, "k")
    clock.advance(timedelta(seconds=59))
    assert not (await limiter.hit(SIGN_IN, "k")).allowed
    clock.advance(timedelta(seconds=1))
    fresh = await limiter.hit(SIGN_IN, "k")
    assert fresh.allowed and fresh.remaining == 2


async def test_retry_after_counts_to_the_end_of_the_window_and_denials_do_not_extend_it(
    limiter, clock: ManualClock
) -> None:
    await limiter.hit(SIGN_IN, "k")
    clock.advance(timedelta(seconds=10, milliseconds=500))
    await limiter.hit(SIGN_IN, "k")
    await limiter.hit(SIGN_IN, "k")
    assert (await limiter.hit(SIGN_IN, "k")).retry_after_s == 50  # 49.5 s left, rounded up
    clock.advance(timedelta(seconds=49))
    assert (await limiter.hit(SIGN_IN, "k")).retry_after_s == 1  # 0.5 s left, never 0 when denied
    clock.advance(timedelta(milliseconds=500))
    assert (await limiter.hit(SIGN_IN, "k")).allowed


async def test_concurrent_hits_never_exceed_the_limit(limiter) -> None:
    rule = RateLimit(name="burst", limit=10, window=timedelta(minutes=5))
    decisions = await asyncio.gather(*(limiter.hit(rule, "same-key") for _ in range(50)))
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 10
    assert sorted(d.remaining for d in allowed) == list(range(10))
    assert all(d.retry_after_s == 300 for d in decisions if not d.allowed)


async def test_purge_deletes_only_ended_windows_in_bounded_batches(limiter, clock: ManualClock) -> None:
    short = RateLimit(name="short", limit=1, window=timedelta(seconds=10))
    for key in ("x", "y", "z"):
        await limiter.hit(short, key)
    await limiter.hit(SIGN_IN, "kept")
    await limiter.hit(SIGN_IN, "kept")
    assert await limiter.purge_expired(clock.now(), 10) == 0
    clock.advance(timedelta(seconds=10))
    assert await limiter.purge_expired(clock.now(), 2) == 2
    assert await limiter.purge_expired(clock.now(), 2) == 1
    assert await limiter.purge_expired(clock.now(), 2) == 0
    kept = await limiter.hit(SIGN_IN, "kept")
    assert kept.remaining == 0  # the live counter survived the sweep


async def test_postgres_stores_keys_only_as_their_sha256(pool: AsyncConnectionPool, clock: ManualClock) -> None:
    await PostgresRateLimiter(pool, clock).hit(SIGN_IN, "alice@example.com")
    async with pool.connection() as conn:
        rows = await (await conn.execute("SELECT rule, key_hash, hits FROM rate_limit_counters")).fetchall()
        dump = await (await conn.execute("SELECT string_agg(t::text, ' ') FROM rate_limit_counters t")).fetchone()
    assert rows == [("sign_in_ip", hashlib.sha256(b"alice@example.com").hexdigest(), 1)]
    assert "alice" not in dump[0]


async def test_hit_many_counts_each_pair_as_hit_would(limiter, clock: ManualClock) -> None:
    minute = RateLimit(name="chat.minute", limit=2, window=timedelta(minutes=1))
    day = RateLimit(name="chat.day", limit=3, window=timedelta(days=1))
    pairs = [(minute, "visitor"), (day, "visitor"), (minute, "ip")]
    first = await limiter.hit_many(pairs)
    assert [(d.allowed, d.remaining) for d in first] == [(True, 1), (True, 2), (True, 1)]
    second = await limiter.hit_many(pairs)
    assert [(d.allowed, d.remaining) for d in second] == [(True, 0), (True, 1), (True, 0)]
    # Third time: both minute counters are over (2 allowed), the day one is at its limit (3).
    third = await limiter.hit_many(pairs)
    assert [(d.allowed, d.remaining) for d in third] == [(False, 0), (True, 0), (False, 0)]
    assert [d.retry_after_s for d in third] == [60, 0, 60]
    # The same counters as single hits see: the day rule is now over.
    assert not (await limiter.hit(day, "visitor")).allowed
    clock.advance(timedelta(minutes=1))
    after = await limiter.hit_many(pairs)
    assert [d.allowed for d in after] == [True, False, True]
