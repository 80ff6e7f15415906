"""The StartCheckout use case."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import (
    PAYING,
    AlreadySubscribed,
    BillingAccount,
    BillingConfig,
)
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.billing.support import _require_enabled
from aioomi.ports.billing import CheckoutRequest, PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class StartCheckout:
    """Start a subscription through Stripe Checkout; return the URL to send the owner to.

    Rules:
    - billing must be on (``billing_disabled`` otherwise); the plan must exist and have a price;
    - only an owner may (``manage_billing``); billing belongs to the workspace, whatever its id
      (``workspace_not_found`` when it is gone);
    - one Stripe customer per workspace: created on the first checkout with the e-mail of the
      owner starting it (the principal's own account; ``account_not_found`` when it is gone) and
      the workspace in its metadata, stored, reused after;
    - a workspace with a paid subscription changes plan in the portal (``already_subscribed``);
    - the session carries the workspace as ``client_reference_id`` and in the subscription's
      metadata; a client's ``Idempotency-Key`` is passed on to Stripe, so a retried request
      returns the same session.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, gateway: PaymentGateway | None, clock: Clock, config: BillingConfig
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._config = config

    async def __call__(self, principal: Principal, plan_id: str, idempotency_key: str | None = None) -> str:
        ensure_permitted(principal, Permission.MANAGE_BILLING)
        gateway = _require_enabled(self._config, self._gateway)
        plan = self._config.catalog.find(plan_id)
        if plan is None:
            raise NotFound(f"No plan {plan_id!r}.", code="plan_not_found")
        if plan.price_id is None:
            raise InvalidInput(f"The {plan.name} plan cannot be bought.", code="plan_not_purchasable", field="plan_id")
        account_id = principal.workspace_id
        async with self._uow(account_id=account_id) as uow:
            billing = await uow.billing.get_account(account_id)
            workspace = await uow.workspaces.get(account_id)
        if workspace is None:
            raise NotFound("No such workspace.", code="workspace_not_found")
        # The paying owner's own account, read in their own scope (the workspace's hides it).
        async with self._uow(account_id=principal.account_id, read_only=True) as uow:
            account = await uow.accounts.get(principal.account_id)
        if account is None:
            raise NotFound("No such account.", code="account_not_found")
        if billing is not None and billing.status in PAYING and billing.downgraded_at is None:
            raise AlreadySubscribed("The account already has a subscription; change it in the billing portal.")
        customer_id = billing.customer_id if billing is not None else None
        if customer_id is None:
            created = await gateway.create_customer(account_id, account.email)
            async with self._uow(account_id=account_id) as uow:
                billing = await uow.billing.get_account(account_id, for_update=True) or BillingAccount(
                    account_id=account_id
                )
                if billing.customer_id is None:
                    billing = msgspec.structs.replace(billing, customer_id=created, updated_at=self._clock.now())
                    await uow.billing.save_account(billing)
                    await uow.commit()
                customer_id = billing.customer_id
        assert customer_id is not None
        prices = [plan.price_id] + ([plan.metered_price_id] if plan.metered_price_id else [])
        return await gateway.create_checkout_session(
            CheckoutRequest(
                account_id=account_id,
                customer_id=customer_id,
                price_ids=prices,
                success_url=f"{self._config.return_url}?checkout=success",
                cancel_url=f"{self._config.return_url}?checkout=cancelled",
                idempotency_key=f"checkout:{account_id}:{idempotency_key}" if idempotency_key else None,
            )
        )
