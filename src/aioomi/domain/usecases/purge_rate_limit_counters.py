"""PurgeRateLimitCounters: counters of ended windows are dead weight."""

from __future__ import annotations

from aioomi.domain.model import retention
from aioomi.domain.usecases.batched_delete import delete_in_batches
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
        return await delete_in_batches(
            lambda: self._counters.purge_expired(now, retention.SWEEP_BATCH), retention.SWEEP_BATCH
        )
