"""Rate limits: how many hits a rule allows per window, and the verdict on one hit."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import msgspec


class RateLimit(msgspec.Struct, frozen=True, kw_only=True):
    """A rule such as "10 sign-in attempts per IP per 15 minutes": ``limit`` hits per ``window``,
    counted separately for each key (an IP, an e-mail address) under the rule's ``name``."""

    name: str
    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a rate limit allows at least one hit")
        if self.window < timedelta(seconds=1):
            raise ValueError("a rate-limit window lasts at least a second")


class RateDecision(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one hit. ``remaining``: hits still allowed in the current window;
    ``retry_after_s``: 0 when allowed, else whole seconds (at least 1) until a hit is allowed."""

    allowed: bool
    remaining: int
    retry_after_s: int


def decide(rule: RateLimit, hits: int, window_ends: datetime, now: datetime) -> RateDecision:
    """The verdict once the current window, ending at ``window_ends``, holds ``hits`` hits
    (this one included). Shared by every adapter so they round alike."""
    if hits <= rule.limit:
        return RateDecision(allowed=True, remaining=rule.limit - hits, retry_after_s=0)
    wait = (window_ends - now).total_seconds()
    return RateDecision(allowed=False, remaining=0, retry_after_s=max(1, math.ceil(wait)))
