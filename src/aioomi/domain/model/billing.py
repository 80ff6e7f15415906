"""Billing: plans and their allowances, the account's subscription state, billing records
(kept 7 years), Stripe events as received, and metered-usage reports. Pure values and rules;
the payment provider itself stays behind :mod:`aioomi.ports.billing`."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound
from aioomi.domain.model.usage import AllowanceState, PeriodUsage, QuotaExceeded

FREE_PLAN = "free"
RECORD_RETENTION_YEARS = 7
"""Billing records are kept 7 years (the policy), also after the account is erased."""
EVENT_RETENTION = timedelta(days=90)
"""Stripe events are kept long enough to deduplicate Stripe's retries (it retries for 3 days)."""
DEFAULT_GRACE = timedelta(days=7)
METER_BATCH = 100


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """A plan from the configuration. ``None`` as a limit means unlimited. ``price_id`` is the
    Stripe recurring price; ``metered_price_id`` (optional) the Stripe price on the billing
    meter that bills tokens above ``monthly_tokens`` instead of refusing them."""

    id: str
    name: str
    monthly_messages: int | None = None
    monthly_tokens: int | None = None
    max_agents: int | None = None
    max_documents: int | None = None
    max_storage_mb: int | None = None
    max_source_pages: int | None = None
    """Pages one crawl of a website or sitemap source may take (``None``: the server's
    ``AIOOMI_SOURCE_MAX_PAGES``)."""
    price_id: str | None = None
    metered_price_id: str | None = None
    amount_minor: int = 0
    currency: str = "usd"

    @property
    def purchasable(self) -> bool:
        return self.price_id is not None

    @property
    def bills_overage(self) -> bool:
        return self.metered_price_id is not None and self.monthly_tokens is not None


NO_LIMITS = Plan(id="self_hosted", name="Self-hosted")
"""The plan in force when the server has no billing configured (no ``STRIPE_SECRET_KEY`` and no
``AIOOMI_BILLING_PLANS``): no allowance and no plan limits. Agents' spend caps still hold."""

DEFAULT_PLANS: tuple[Plan, ...] = (
    Plan(
        id="free",
        name="Free",
        monthly_messages=100,
        monthly_tokens=200_000,
        max_agents=1,
        max_documents=20,
        max_storage_mb=50,
        max_source_pages=20,
    ),
    Plan(
        id="pro",
        name="Pro",
        monthly_messages=5_000,
        monthly_tokens=10_000_000,
        max_agents=5,
        max_documents=500,
        max_storage_mb=1_000,
        max_source_pages=500,
        amount_minor=4_900,
    ),
    Plan(
        id="business",
        name="Business",
        monthly_messages=50_000,
        monthly_tokens=100_000_000,
        max_agents=50,
        max_documents=10_000,
        max_storage_mb=20_000,
        max_source_pages=5_000,
        amount_minor=29_900,
    ),
)


class PlanCatalog(msgspec.Struct, frozen=True, kw_only=True):
    """The configured plans, in display order; one of them is ``free``."""

    plans: tuple[Plan, ...] = DEFAULT_PLANS

    def __post_init__(self) -> None:
        ids = [p.id for p in self.plans]
        if FREE_PLAN not in ids:
            raise ValueError("the plans must include one with id 'free'")
        if len(set(ids)) != len(ids):
            raise ValueError("plan ids must be unique")

    @property
    def free(self) -> Plan:
        return self.get(FREE_PLAN)

    def get(self, plan_id: str) -> Plan:
        return next((p for p in self.plans if p.id == plan_id), None) or self.free

    def find(self, plan_id: str) -> Plan | None:
        return next((p for p in self.plans if p.id == plan_id), None)

    def for_prices(self, price_ids: list[str]) -> Plan | None:
        """The plan a subscription with these prices is on."""
        return next((p for p in self.plans if p.price_id is not None and p.price_id in price_ids), None)


def parse_plans(text: str) -> PlanCatalog:
    """Plans from JSON (``AIOOMI_BILLING_PLANS``): a list of plan objects. Raises ValueError."""
    try:
        plans = msgspec.json.decode(text.encode(), type=tuple[Plan, ...])
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise ValueError(str(error)) from None
    return PlanCatalog(plans=plans)


class SubscriptionStatus(enum.StrEnum):
    NONE = "none"
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    PAUSED = "paused"

    @classmethod
    def of(cls, value: str) -> SubscriptionStatus:
        return (
            cls(value)
            if value in cls._value2member_map_
            else (cls.CANCELED if value == "incomplete_expired" else cls.NONE)
        )


PAYING = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE})


class BillingAccount(msgspec.Struct, frozen=True, kw_only=True):
    """An account's billing state, mirrored from Stripe. ``state_at`` is the creation time of
    the newest Stripe event applied: an older event never overwrites it. ``payment_failed_at``
    starts the grace period; ``downgraded_at`` says the grace ran out."""

    account_id: str
    customer_id: str | None = None
    subscription_id: str | None = None
    plan_id: str = FREE_PLAN
    status: SubscriptionStatus = SubscriptionStatus.NONE
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    state_at: datetime | None = None
    payment_failed_at: datetime | None = None
    downgraded_at: datetime | None = None
    updated_at: datetime | None = None

    def effective_plan(self, catalog: PlanCatalog) -> Plan:
        """The plan quotas apply: the subscribed one while it is paid for (or in grace)."""
        if self.status not in PAYING or self.downgraded_at is not None:
            return catalog.free
        return catalog.get(self.plan_id)

    def grace_ends(self, grace: timedelta) -> datetime | None:
        return None if self.payment_failed_at is None else self.payment_failed_at + grace


class SubscriptionSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription as the payment provider holds it now."""

    id: str
    customer_id: str
    status: SubscriptionStatus
    price_ids: list[str]
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    account_id: str | None = None
    """From the subscription's metadata, when checkout set it."""


class RecordKind(enum.StrEnum):
    INVOICE = "invoice"
    PAYMENT = "payment"


class BillingRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An invoice or a payment attempt, kept 7 years. ``account_id`` is nulled when the
    account is erased; ``account_ref`` (a one-way hash of the account id) stays, so the
    records of one customer still group together without naming anyone."""

    id: str
    kind: RecordKind
    stripe_id: str
    """The invoice id for an invoice; for a payment, the event that reported it."""
    account_id: str | None
    account_ref: str
    stripe_customer_id: str | None
    stripe_invoice_id: str | None
    stripe_subscription_id: str | None
    amount_minor: int
    currency: str
    status: str
    period_start: datetime | None
    period_end: datetime | None
    occurred_at: datetime
    status_at: datetime
    created_at: datetime


def account_ref(account_id: str) -> str:
    """A pseudonymous reference that outlives the account (one-way)."""
    return "acref_" + hashlib.sha256(f"aioomi-billing:{account_id}".encode()).hexdigest()[:32]


def record_cutoff(now: datetime) -> datetime:
    """Records that occurred before this are past the 7-year retention."""
    try:
        return now.replace(year=now.year - RECORD_RETENTION_YEARS)
    except ValueError:  # 29 February
        return now.replace(year=now.year - RECORD_RETENTION_YEARS, day=28)


class WebhookEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A verified Stripe event."""

    id: str
    type: str
    created: datetime
    data: dict[str, Any]
    """``data.object`` of the event, as plain JSON."""


class EventStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    type: str
    created: datetime
    data: dict[str, Any]
    status: EventStatus
    received_at: datetime
    processed_at: datetime | None = None


HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.deleted",
    }
)


class MeterEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Tokens above the allowance, reported to the billing meter. ``identifier`` is stable
    for this report, so a retry is deduplicated by Stripe and never bills twice."""

    identifier: str
    account_id: str
    customer_id: str
    period: date
    value: int
    occurred_at: datetime
    sent_at: datetime | None = None


def meter_identifier(account_id: str, period: date, cumulative: int) -> str:
    """One identifier per (account, period, cumulative overage reached): deterministic."""
    digest = hashlib.sha256(f"{account_id}:{period.isoformat()}:{cumulative}".encode()).hexdigest()[:40]
    return f"aioomi_{digest}"


def overage_tokens(plan: Plan, usage: PeriodUsage) -> int:
    """Tokens above the plan's allowance that the meter bills (0 for plans without overage)."""
    if not plan.bills_overage or plan.monthly_tokens is None:
        return 0
    return max(0, usage.tokens - plan.monthly_tokens)


def enforce_allowance(plan: Plan, state: AllowanceState) -> None:
    """Raise :class:`QuotaExceeded` when another call would go past what the plan allows.

    - the agent's own hard cap (tokens this month) always holds, whatever the plan;
    - messages above the plan's monthly allowance are refused;
    - tokens above the allowance are refused, unless the plan bills them through the meter.
    """
    cap = state.agent_token_cap
    if cap is not None and state.agent.tokens >= cap:
        raise QuotaExceeded(
            "This assistant has reached its monthly spending limit. Please try again next month.",
            code="quota_exceeded",
        )
    if plan.monthly_messages is not None and state.account.messages >= plan.monthly_messages:
        raise QuotaExceeded(
            "This assistant has answered all the messages its plan allows this month. Please try again later."
        )
    if plan.monthly_tokens is not None and not plan.bills_overage and state.account.tokens >= plan.monthly_tokens:
        raise QuotaExceeded("This assistant has used up its plan's allowance for this month. Please try again later.")


class PlanLimitReached(QuotaExceeded):
    """Another agent, document or megabyte would go past what the account's plan holds."""

    code = "plan_limit_reached"
    title = "Plan limit reached"


def enforce_agent_limit(plan: Plan, agents: int) -> None:
    """Raise :class:`PlanLimitReached` when the account already has the plan's ``max_agents``."""
    if plan.max_agents is not None and agents >= plan.max_agents:
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.max_agents} agent(s); delete one or upgrade the plan."
        )


def limits_documents(plan: Plan | None) -> bool:
    return plan is not None and (plan.max_documents is not None or plan.max_storage_mb is not None)


def enforce_document_limits(
    plan: Plan, documents: int, stored_bytes: int, adding_bytes: int, *, new_document: bool = True
) -> None:
    """Raise :class:`PlanLimitReached` when a new document (or, with ``new_document=False``, a
    replaced original) of ``adding_bytes`` would go past the plan's ``max_documents`` (per
    account) or ``max_storage_mb`` (the stored originals' sizes, per account)."""
    if new_document and plan.max_documents is not None and documents >= plan.max_documents:
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.max_documents:,} document(s) per account; "
            "remove some or upgrade the plan."
        )
    if plan.max_storage_mb is not None and stored_bytes + adding_bytes > plan.max_storage_mb * 1024 * 1024:
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.max_storage_mb:,} MB of stored files per account; "
            "remove some or upgrade the plan."
        )


class DocumentQuota(msgspec.Struct, kw_only=True):
    """The account's documents and stored bytes against its plan, kept up to date while one
    unit of work adds or replaces several documents (a CSV import, the pages of a crawl): each
    one is admitted by :func:`enforce_document_limits`, the one rule uploads follow too."""

    plan: Plan
    documents: int
    stored_bytes: int

    def admit(self, adding_bytes: int, *, replacing_bytes: int | None = None) -> None:
        """Count a new document of ``adding_bytes`` (or, with ``replacing_bytes``, a document
        whose original of that size is replaced); raise :class:`PlanLimitReached` (and count
        nothing) when it would go past the plan."""
        new_document = replacing_bytes is None
        enforce_document_limits(
            self.plan,
            self.documents,
            self.stored_bytes - (replacing_bytes or 0),
            adding_bytes,
            new_document=new_document,
        )
        self.documents += 1 if new_document else 0
        self.stored_bytes += adding_bytes - (replacing_bytes or 0)


class BillingDisabled(NotFound):
    """Billing is off on this server: a 404 (nothing to retry), not an outage."""

    code = "billing_disabled"
    title = "Billing is not configured"


class InvalidWebhook(InvalidInput):
    """The body is not a Stripe event signed with our secret within the tolerance."""

    code = "invalid_signature"
    title = "Invalid webhook signature"


class AlreadySubscribed(Conflict):
    code = "already_subscribed"
    title = "Already subscribed"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


class BillingConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What the operator configured: whether Stripe is on, the plans (and whether the operator
    set them: ``plans_configured``), the grace period after a failed payment, the billing
    meter's event name, and where Stripe sends owners back to."""

    enabled: bool = False
    catalog: PlanCatalog = msgspec.field(default_factory=PlanCatalog)
    plans_configured: bool = False
    grace: timedelta = DEFAULT_GRACE
    meter_event_name: str = "aioomi_tokens"
    return_url: str = "http://127.0.0.1:8000/dashboard/billing"

    @property
    def plans_apply(self) -> bool:
        """Plans (allowances and limits) hold when billing is on or the operator set the plans
        (``AIOOMI_BILLING_PLANS``); a self-hosted server with neither has no plan limits."""
        return self.enabled or self.plans_configured

    def plan_for(self, billing: BillingAccount | None) -> Plan:
        """The plan in force for an account: :data:`NO_LIMITS` while plans don't apply; the
        subscribed plan while billing is on and it is paid for (or in grace); else free."""
        if not self.plans_apply:
            return NO_LIMITS
        if not self.enabled or billing is None:
            return self.catalog.free
        return billing.effective_plan(self.catalog)


PROCESS_EVENT_JOB = "billing.process_event"
SEND_NOTICE_JOB = "billing.send_notice"


class Notice(enum.StrEnum):
    """E-mails to the owner along a payment failure: each step gets one."""

    PAYMENT_FAILED = "billing_payment_failed"
    DOWNGRADED = "billing_downgraded"
    PAYMENT_RECOVERED = "billing_payment_recovered"
