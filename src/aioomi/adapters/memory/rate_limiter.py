"""Rate-limit counters in memory: one process's view, for tests and single-process runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aioomi.domain.model.rate_limits import RateDecision, RateLimit, decide
from aioomi.ports.clock import Clock


class InMemoryRateLimiter:
    """See :class:`aioomi.ports.rate_limiter.RateLimiter`; time comes from the injected clock.

    ``hit`` never awaits, so it is atomic on the event loop without a lock.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[datetime, int]] = {}  # -> (window end, hits)

    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        return self.hit_at(rule, key, self._clock.now())

    def hit_at(self, rule: RateLimit, key: str, now: datetime) -> RateDecision:
        """:meth:`hit` at ``now`` (a chat turn's read counts at the turn's time)."""
        ends, hits = self._windows.get((rule.name, key), (now, 0))
        if ends <= now:
            ends, hits = now + rule.window, 0
        self._windows[(rule.name, key)] = (ends, hits + 1)
        return decide(rule, hits + 1, ends, now)

    async def hit_many(self, hits: Sequence[tuple[RateLimit, str]]) -> list[RateDecision]:
        return [await self.hit(rule, key) for rule, key in hits]

    async def purge_expired(self, before: datetime, limit: int = 1000) -> int:
        expired = [k for k, (ends, _) in self._windows.items() if ends <= before][:limit]
        for k in expired:
            del self._windows[k]
        return len(expired)
