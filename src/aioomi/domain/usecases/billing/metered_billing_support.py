"""What the billing use cases share."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aioomi.domain.model.usage import period_start

LATE_REPORT_DAYS = 3
"""For this many days into a month, last month's overage is still topped up."""


def _periods(now: datetime) -> list[date]:
    current = period_start(now)
    if now.day <= LATE_REPORT_DAYS:
        return [period_start(now.replace(day=1) - timedelta(days=1)), current]
    return [current]
