"""ListPlans, StartCheckout, OpenBillingPortal, GetBillingOverview, SetAgentTokenCap: what the
owner does about billing. Card data never reaches Aioomi: Stripe hosts checkout and the portal."""

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

MAX_TOKEN_CAP = 10**12


def _require_enabled(config: BillingConfig, gateway: PaymentGateway | None) -> PaymentGateway:
    if not config.enabled or gateway is None:
        raise BillingDisabled("Billing is not set up on this server (no STRIPE_SECRET_KEY).")
    return gateway


class ListPlans:
    """The configured plans, in display order (also when billing is off)."""

    def __init__(self, config: BillingConfig) -> None:
        self._config = config

    def __call__(self) -> tuple[Plan, ...]:
        return self._config.catalog.plans


class StartCheckout:
    """Start a subscription through Stripe Checkout; return the URL to send the owner to.

    Rules:
    - billing must be on (``billing_disabled`` otherwise); the plan must exist and have a price;
    - one Stripe customer per account: created on the first checkout, stored, reused after;
    - an account with a paid subscription changes plan in the portal (``already_subscribed``);
    - the session carries the account as ``client_reference_id`` and in the subscription's
      metadata; a client's ``Idempotency-Key`` is passed on to Stripe, so a retried request
      returns the same session.
    """

    def __init__(self, uow: UnitOfWorkFactory, gateway: PaymentGateway | None, clock: Clock,
                 config: BillingConfig) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._config = config

    async def __call__(self, principal: Principal, plan_id: str, idempotency_key: str | None = None) -> str:
        gateway = _require_enabled(self._config, self._gateway)
        plan = self._config.catalog.find(plan_id)
        if plan is None:
            raise NotFound(f"No plan {plan_id!r}.", code="plan_not_found")
        if plan.price_id is None:
            raise InvalidInput(f"The {plan.name} plan cannot be bought.", code="plan_not_purchasable", field="plan_id")
        account_id = principal.account_id
        async with self._uow(account_id=account_id) as uow:
            billing = await uow.billing.get_account(account_id)
            account = await uow.accounts.get(account_id)
        if account is None:
            raise NotFound("No such account.", code="account_not_found")
        if billing is not None and billing.status in PAYING and billing.downgraded_at is None:
            raise AlreadySubscribed("The account already has a subscription; change it in the billing portal.")
        customer_id = billing.customer_id if billing is not None else None
        if customer_id is None:
            created = await gateway.create_customer(account_id, account.email)
            async with self._uow(account_id=account_id) as uow:
                billing = await uow.billing.get_account(account_id, for_update=True) or BillingAccount(account_id=account_id)
                if billing.customer_id is None:
                    billing = msgspec.structs.replace(billing, customer_id=created, updated_at=self._clock.now())
                    await uow.billing.save_account(billing)
                    await uow.commit()
                customer_id = billing.customer_id
        assert customer_id is not None
        prices = [plan.price_id] + ([plan.metered_price_id] if plan.metered_price_id else [])
        return await gateway.create_checkout_session(CheckoutRequest(
            account_id=account_id,
            customer_id=customer_id,
            price_ids=prices,
            success_url=f"{self._config.return_url}?checkout=success",
            cancel_url=f"{self._config.return_url}?checkout=cancelled",
            idempotency_key=f"checkout:{account_id}:{idempotency_key}" if idempotency_key else None,
        ))


class OpenBillingPortal:
    """A Stripe Customer Portal session (invoices, payment method, plan changes, cancelling).
    Rules: billing must be on; the account must have a Stripe customer (``no_billing_customer``)."""

    def __init__(self, uow: UnitOfWorkFactory, gateway: PaymentGateway | None, config: BillingConfig) -> None:
        self._uow = uow
        self._gateway = gateway
        self._config = config

    async def __call__(self, principal: Principal) -> str:
        gateway = _require_enabled(self._config, self._gateway)
        async with self._uow(account_id=principal.account_id) as uow:
            billing = await uow.billing.get_account(principal.account_id)
        if billing is None or billing.customer_id is None:
            raise Conflict("Subscribe first: the account has no billing customer yet.", code="no_billing_customer")
        return await gateway.create_portal_session(billing.customer_id, self._config.return_url)


class BillingOverview(msgspec.Struct, frozen=True, kw_only=True):
    plan: Plan
    billing: BillingAccount
    period_start: datetime
    period_end: datetime
    usage: PeriodUsage
    overage_tokens: int
    grace_ends_at: datetime | None
    agent_token_caps: dict[str, int]
    records: list[BillingRecord]


class GetBillingOverview:
    """The owner's plan, usage against allowance this month, agent caps and billing records."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: BillingConfig) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config

    async def __call__(self, principal: Principal) -> BillingOverview:
        account_id = principal.account_id
        period = period_start(self._clock.now())
        async with self._uow(account_id=account_id) as uow:
            billing = await uow.billing.get_account(account_id) or BillingAccount(account_id=account_id)
            usage = await uow.usage.period_usage(account_id, period)
            caps = await uow.usage.agent_token_caps(account_id)
            records = await uow.billing.list_records(account_id, 50)
        plan = self._config.plan_for(billing if self._config.enabled else None)
        start, end = period_bounds(period)
        return BillingOverview(
            plan=plan, billing=billing, period_start=start, period_end=end, usage=usage,
            overage_tokens=overage_tokens(plan, usage), grace_ends_at=billing.grace_ends(self._config.grace),
            agent_token_caps=caps, records=records,
        )


class SetAgentTokenCap:
    """Set or remove an agent's hard monthly cap in tokens (protection against runaway cost).
    Rules: the agent must be the caller's; the cap is 0 … 10¹²; ``None`` removes it."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, agent_id: str, monthly_tokens: int | None) -> None:
        if monthly_tokens is not None and not 0 <= monthly_tokens <= MAX_TOKEN_CAP:
            raise InvalidInput("The cap is between 0 and 10^12 tokens.", code="invalid_token_cap", field="monthly_tokens")
        async with self._uow(account_id=principal.account_id) as uow:
            if await uow.agents.get(principal.account_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            await uow.usage.set_agent_token_cap(principal.account_id, agent_id, monthly_tokens)
            await uow.commit()
