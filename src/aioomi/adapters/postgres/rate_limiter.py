"""Rate-limit counters in Postgres: every replica counts in the same rows.

One statement per hit: an upsert that starts a new window when the stored one has ended and
otherwise adds one, atomically (concurrent hits on a key queue on its row lock). Time is the
injected clock's, passed as a parameter, so windows move with it in tests; in production every
replica's clock is the system's (kept in step by NTP, which is far finer than any window).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.domain.model.rate_limits import RateDecision, RateLimit, decide
from aioomi.ports.clock import Clock

_HIT = """
INSERT INTO rate_limit_counters AS c (rule, key_hash, window_ends, hits)
VALUES (%(rule)s, %(key_hash)s, %(ends)s, 1)
ON CONFLICT (rule, key_hash) DO UPDATE SET
    hits = CASE WHEN c.window_ends <= %(now)s THEN 1 ELSE c.hits + 1 END,
    window_ends = CASE WHEN c.window_ends <= %(now)s THEN EXCLUDED.window_ends ELSE c.window_ends END
RETURNING hits, window_ends
"""

# Several counters in one statement: one row per (rule, key), same rule of windows as _HIT.
# Also sent by a chat turn's one read, on the unit of work's connection (chat_turns.py).
HIT_MANY = """
INSERT INTO rate_limit_counters AS c (rule, key_hash, window_ends, hits)
SELECT rule, key_hash, ends, 1 FROM unnest(%(rules)s::text[], %(key_hashes)s::text[], %(ends)s::timestamptz[])
    AS h(rule, key_hash, ends)
ORDER BY rule, key_hash
ON CONFLICT (rule, key_hash) DO UPDATE SET
    hits = CASE WHEN c.window_ends <= %(now)s THEN 1 ELSE c.hits + 1 END,
    window_ends = CASE WHEN c.window_ends <= %(now)s THEN EXCLUDED.window_ends ELSE c.window_ends END
RETURNING rule, key_hash, hits, window_ends
"""

_PURGE = """
DELETE FROM rate_limit_counters WHERE (rule, key_hash) IN (
    SELECT rule, key_hash FROM rate_limit_counters
    WHERE window_ends <= %s
    LIMIT %s FOR UPDATE SKIP LOCKED
)
"""


def key_hash(key: str) -> str:
    """What the table stores instead of the key: no IP or e-mail address sits in the counters."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class PostgresRateLimiter:
    """See :class:`aioomi.ports.rate_limiter.RateLimiter` and ``RateLimitCounters``."""

    def __init__(self, pool: AsyncConnectionPool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        now = self._clock.now()
        params = {"rule": rule.name, "key_hash": key_hash(key), "ends": now + rule.window, "now": now}
        with translated_errors():
            async with self._pool.connection() as conn:
                row = await (await conn.execute(_HIT, params)).fetchone()
        assert row is not None  # an upsert with RETURNING always returns its row
        hits, window_ends = row
        return decide(rule, hits, window_ends, now)

    async def hit_many(self, hits: Sequence[tuple[RateLimit, str]]) -> list[RateDecision]:
        now = self._clock.now()
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = await conn.execute(HIT_MANY, hit_many_params(hits, now))
                return await read_decisions(cur, hits, now)

    async def purge_expired(self, before: datetime, limit: int = 1000) -> int:
        with translated_errors():
            async with self._pool.connection() as conn:
                cur = await conn.execute(_PURGE, (before, limit))
                return cur.rowcount


def hit_many_params(hits: Sequence[tuple[RateLimit, str]], now: datetime) -> dict[str, Any]:
    """The parameters of :data:`HIT_MANY` for one hit on each ``(rule, key)`` at ``now``."""
    return {
        "rules": [rule.name for rule, _ in hits],
        "key_hashes": [key_hash(key) for _, key in hits],
        "ends": [now + rule.window for rule, _ in hits],
        "now": now,
    }


async def read_decisions(
    cur: psycopg.AsyncCursor[Any], hits: Sequence[tuple[RateLimit, str]], now: datetime
) -> list[RateDecision]:
    """The verdicts, in the order of ``hits``, from the rows :data:`HIT_MANY` returned."""
    counted = {(rule, h): (n, ends) for rule, h, n, ends in await cur.fetchall()}
    return [decide(rule, *counted[(rule.name, key_hash(key))], now) for rule, key in hits]
