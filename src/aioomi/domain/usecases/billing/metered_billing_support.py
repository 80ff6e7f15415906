"""What the billing use cases share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TypedDict
import msgspec
from aioomi.domain.model.billing import (
    EVENT_RETENTION,
    METER_BATCH,
    BillingAccount,
    BillingConfig,
    MeterEvent,
    account_ref,
    meter_identifier,
    overage_tokens,
    record_cutoff,
)
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.retention import SWEEP_BATCH
from aioomi.domain.model.usage import period_bounds, period_start
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


LATE_REPORT_DAYS = 3
"""For this many days into a month, last month's overage is still topped up."""


def _periods(now: datetime) -> list[date]:
    current = period_start(now)
    if now.day <= LATE_REPORT_DAYS:
        return [period_start(now.replace(day=1) - timedelta(days=1)), current]
    return [current]
