"""The OpenBillingPortal use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import (
    BillingConfig,
)
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.billing.support import _require_enabled
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class OpenBillingPortal:
    """A Stripe Customer Portal session (invoices, payment method, plan changes, cancelling).
    Rules: billing must be on; the account must have a Stripe customer (``no_billing_customer``)."""

    def __init__(self, uow: UnitOfWorkFactory, gateway: PaymentGateway | None, config: BillingConfig) -> None:
        self._uow = uow
        self._gateway = gateway
        self._config = config

    async def __call__(self, principal: Principal) -> str:
        ensure_permitted(principal, Permission.MANAGE_BILLING)
        gateway = _require_enabled(self._config, self._gateway)
        async with self._uow(account_id=principal.workspace_id) as uow:
            billing = await uow.billing.get_account(principal.workspace_id)
        if billing is None or billing.customer_id is None:
            raise Conflict("Subscribe first: the account has no billing customer yet.", code="no_billing_customer")
        return await gateway.create_portal_session(billing.customer_id, self._config.return_url)
