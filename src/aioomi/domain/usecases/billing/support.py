"""What the billing use cases share."""

from __future__ import annotations

from aioomi.domain.model.billing import (
    BillingConfig,
    BillingDisabled,
)
from aioomi.ports.billing import PaymentGateway


def _require_enabled(config: BillingConfig, gateway: PaymentGateway | None) -> PaymentGateway:
    if not config.enabled or gateway is None:
        raise BillingDisabled("Billing is not set up on this server (no STRIPE_SECRET_KEY).")
    return gateway
