"""ListPlans: The configured plans, in display order (also when billing is off)."""

from __future__ import annotations

from datetime import datetime
import msgspec
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import (
    PAYING,
    AlreadySubscribed,
    BillingAccount,
    BillingConfig,
    BillingDisabled,
    BillingRecord,
    Plan,
    overage_tokens,
)
from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound
from aioomi.domain.model.usage import PeriodUsage, period_bounds, period_start
from aioomi.ports.billing import CheckoutRequest, PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListPlans:
    """The configured plans, in display order (also when billing is off)."""

    def __init__(self, config: BillingConfig) -> None:
        self._config = config

    def __call__(self) -> tuple[Plan, ...]:
        return self._config.catalog.plans
