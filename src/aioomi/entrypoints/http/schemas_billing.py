"""Request and response bodies of the billing and usage API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.billing import BillingRecord, Plan
from aioomi.domain.usecases.billing.get_billing_overview import BillingOverview

PlanId = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class PlanOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    monthly_messages: int | None
    monthly_tokens: int | None
    max_agents: int | None
    max_documents: int | None
    max_storage_mb: int | None
    amount_minor: int
    currency: str
    purchasable: bool
    bills_overage: bool
    max_source_pages: int | None = None
    """Pages one crawl of a website or sitemap source takes (null: the server's limit)."""

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(
            id=plan.id,
            name=plan.name,
            monthly_messages=plan.monthly_messages,
            monthly_tokens=plan.monthly_tokens,
            max_agents=plan.max_agents,
            max_documents=plan.max_documents,
            max_storage_mb=plan.max_storage_mb,
            amount_minor=plan.amount_minor,
            currency=plan.currency,
            purchasable=plan.purchasable,
            bills_overage=plan.bills_overage,
            max_source_pages=plan.max_source_pages,
        )


class PlanList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[PlanOut]
    billing_enabled: bool
    plans_apply: bool
    """False on a server with neither Stripe nor ``AIOOMI_BILLING_PLANS``: no plan limits apply."""


class CheckoutCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    plan_id: PlanId


class RedirectOut(msgspec.Struct, frozen=True, kw_only=True):
    url: str


class Allowance(msgspec.Struct, frozen=True, kw_only=True):
    used: int
    allowance: int | None
    """``None``: unlimited."""


class RecordOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    status: str
    amount_minor: int
    currency: str
    period_start: datetime | None
    period_end: datetime | None
    occurred_at: datetime
    stripe_invoice_id: str | None

    @classmethod
    def of(cls, record: BillingRecord) -> RecordOut:
        return cls(
            id=record.id,
            kind=str(record.kind),
            status=record.status,
            amount_minor=record.amount_minor,
            currency=record.currency,
            period_start=record.period_start,
            period_end=record.period_end,
            occurred_at=record.occurred_at,
            stripe_invoice_id=record.stripe_invoice_id,
        )


class BillingUsageOut(msgspec.Struct, frozen=True, kw_only=True):
    plan: PlanOut
    subscription_status: str
    cancel_at_period_end: bool
    period_start: datetime
    period_end: datetime
    messages: Allowance
    tokens: Allowance
    overage_tokens: int
    payment_failed_at: datetime | None
    grace_ends_at: datetime | None
    downgraded_at: datetime | None
    agent_token_caps: dict[str, int]
    records: list[RecordOut]

    @classmethod
    def of(cls, overview: BillingOverview) -> BillingUsageOut:
        plan, billing = overview.plan, overview.billing
        return cls(
            plan=PlanOut.of(plan),
            subscription_status=str(billing.status),
            cancel_at_period_end=billing.cancel_at_period_end,
            period_start=overview.period_start,
            period_end=overview.period_end,
            messages=Allowance(used=overview.usage.messages, allowance=plan.monthly_messages),
            tokens=Allowance(used=overview.usage.tokens, allowance=plan.monthly_tokens),
            overage_tokens=overview.overage_tokens,
            payment_failed_at=billing.payment_failed_at,
            grace_ends_at=overview.grace_ends_at,
            downgraded_at=billing.downgraded_at,
            agent_token_caps=overview.agent_token_caps,
            records=[RecordOut.of(r) for r in overview.records],
        )


class TokenCap(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    monthly_tokens: Annotated[int, msgspec.Meta(ge=0, le=10**12)] | None


class UsageRow(msgspec.Struct, frozen=True, kw_only=True):
    day: date | None
    agent_id: str | None
    model: str | None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class UsageList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[UsageRow]
    next_cursor: None = None
    from_: date = msgspec.field(name="from")
    to: date


class WebhookAck(msgspec.Struct, frozen=True, kw_only=True):
    received: bool
    duplicate: bool
