"""PurgeRateLimitCounters: counters of ended windows are dead weight."""

from __future__ import annotations

from aioomi.domain.model import retention
from aioomi.ports.clock import Clock
from aioomi.ports.rate_limiter import RateLimitCounters


class PurgeRateLimitCounters:
    """Delete the counters whose window has ended.

    Rules: bounded batches of ``retention.SWEEP_BATCH``; idempotent; safe from several workers.
    """

    def __init__(self, counters: RateLimitCounters, clock: Clock) -> None:
        self._counters = counters
        self._clock = clock

    async def __call__(self) -> int:
        now = self._clock.now()
        total = 0
        while True:
            removed = await self._counters.purge_expired(now, retention.SWEEP_BATCH)
            total += removed
            if removed < retention.SWEEP_BATCH:
                return total
