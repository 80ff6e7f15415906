"""What the billing use cases share."""

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


def _require_enabled(config: BillingConfig, gateway: PaymentGateway | None) -> PaymentGateway:
    if not config.enabled or gateway is None:
        raise BillingDisabled("Billing is not set up on this server (no STRIPE_SECRET_KEY).")
    return gateway
