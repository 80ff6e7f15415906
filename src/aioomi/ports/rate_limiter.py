"""Counting hits against rate limits, shared by every server replica."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aioomi.domain.model.rate_limits import RateDecision, RateLimit


class RateLimiter(Protocol):
    """Counts hits per ``(rule.name, key)`` in windows of ``rule.window``.

    Guarantees: within one window at most ``rule.limit`` hits are allowed, even when hits for
    the same key arrive at once (from several replicas); keys and rules are counted apart; a
    window begins at the first hit after the previous one ended (a fixed window per key), so a
    key is let through again ``rule.window`` after its window began. Denied hits are counted but
    never lengthen the window.
    """

    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        """Count one hit for ``(rule.name, key)`` and decide whether it is allowed."""
        ...

    async def hit_many(self, hits: Sequence[tuple[RateLimit, str]]) -> list[RateDecision]:
        """Count one hit for each ``(rule, key)`` (distinct pairs) at once — one round trip
        where the store is remote — and decide each as :meth:`hit` would, in order."""
        ...


class RateLimitCounters(Protocol):
    """The sweep's side: counters of ended windows are dead weight and are deleted."""

    async def purge_expired(self, before: datetime, limit: int = 1000) -> int:
        """Delete at most ``limit`` counters whose window ended at or before ``before``;
        return how many."""
        ...
