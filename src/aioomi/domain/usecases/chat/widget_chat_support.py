"""What the chat use cases share."""

from __future__ import annotations

from datetime import timedelta

MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)
