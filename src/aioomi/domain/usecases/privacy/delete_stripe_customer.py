"""The DeleteStripeCustomer use case."""

from __future__ import annotations

from aioomi.domain.usecases.privacy.retention_support import delete_stripe_customer
from aioomi.ports.billing import PaymentGateway


class DeleteStripeCustomer:
    """The worker's retry of the purge's Stripe step when Stripe was down: cancel the
    subscription and delete the customer (ids only, no personal data in the job). Raises
    ``Unavailable`` while Stripe is down, so the job is retried with backoff."""

    def __init__(self, gateway: PaymentGateway | None) -> None:
        self._gateway = gateway

    async def __call__(self, subscription_id: str | None, customer_id: str | None) -> dict[str, bool]:
        if self._gateway is None:
            return {"skipped": True}
        await delete_stripe_customer(self._gateway, subscription_id or None, customer_id or None)
        return {"deleted": True}
