"""Time, as a port, so tests can travel in it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...
