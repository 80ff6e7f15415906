"""A clock that stands still until told to move: tests travel in time with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """A :class:`~aioomi.ports.clock.Clock` set by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("the clock keeps timezone-aware time")

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += by
