"""Billing: the payment provider (Stripe) as ports, and the billing store on the unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Protocol

import msgspec

from aioomi.domain.model.billing import (
    BillingAccount,
    BillingRecord,
    EventStatus,
    MeterEvent,
    StoredEvent,
    SubscriptionSnapshot,
    WebhookEvent,
)


class CheckoutRequest(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    customer_id: str
    price_ids: list[str]
    """The recurring price first; a metered price (no quantity) may follow."""
    success_url: str
    cancel_url: str
    idempotency_key: str | None = None


class PaymentGateway(Protocol):
    """The payment provider's API. Card data never passes through here: checkout and the
    customer portal are pages the provider hosts. Failures leave as
    :class:`~aioomi.domain.model.errors.Unavailable` (``payment_provider_unavailable``)."""

    async def create_customer(self, account_id: str, email: str) -> str:
        """Create the workspace's customer (``account_id`` is the workspace's id, named in the
        customer's metadata; idempotent per workspace) with the paying owner's ``email``; return
        its id."""
        ...

    async def create_checkout_session(self, request: CheckoutRequest) -> str:
        """A subscription-mode checkout session; return the URL to send the owner to."""
        ...

    async def create_portal_session(self, customer_id: str, return_url: str) -> str:
        """A customer-portal session; return its URL."""
        ...

    async def retrieve_subscription(self, subscription_id: str) -> SubscriptionSnapshot:
        """The subscription as it is now (what makes event processing order-safe)."""
        ...

    async def report_meter_event(self, event: MeterEvent, event_name: str) -> None:
        """Send one billing-meter event; a repeated ``identifier`` is deduplicated by the provider."""
        ...

    async def cancel_subscription(self, subscription_id: str) -> None:
        """Cancel the subscription now (erasure); ``NotFound`` if the provider has no such one."""
        ...

    async def delete_customer(self, customer_id: str) -> None:
        """Delete the customer and what the provider holds of them (erasure); ``NotFound`` if gone."""
        ...


class WebhookVerifier(Protocol):
    def verify(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """The event in ``payload`` if ``signature`` signs it with our secret within the
        tolerance; else :class:`~aioomi.domain.model.billing.InvalidWebhook`."""
        ...


class BillingStore(Protocol):
    """Billing state inside a unit of work. Account-scoped calls see only that account; the
    event, meter and sweep calls run in the system scope."""

    # -- the account's billing state ---------------------------------------------------------
    async def get_account(self, account_id: str, *, for_update: bool = False) -> BillingAccount | None: ...

    async def save_account(self, billing: BillingAccount) -> None:
        """Insert or replace the account's billing state."""
        ...

    async def find_by_customer(self, customer_id: str) -> BillingAccount | None: ...

    async def list_paying(self, *, after: str | None, limit: int) -> list[BillingAccount]:
        """Accounts with a subscription in a paying state, by account id after ``after``."""
        ...

    async def list_grace_expired(self, failed_before: datetime, limit: int) -> list[BillingAccount]:
        """Accounts whose payment failed before ``failed_before`` and that are not downgraded."""
        ...

    # -- billing records (7 years) ------------------------------------------------------------
    async def get_record(self, kind: str, stripe_id: str) -> BillingRecord | None: ...

    async def save_record(self, record: BillingRecord) -> None:
        """Insert, or replace the record with the same (kind, stripe id)."""
        ...

    async def list_records(self, account_id: str, limit: int) -> list[BillingRecord]:
        """The account's records, newest first."""
        ...

    async def detach_records(self, account_id: str) -> int:
        """Erasure: null the account id on its records (the pseudonymous ref stays)."""
        ...

    async def purge_records(self, occurred_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` records older than the cutoff; return how many."""
        ...

    # -- Stripe events ----------------------------------------------------------------------
    async def add_event(self, event: WebhookEvent, received_at: datetime, status: EventStatus) -> bool:
        """Store the event; False when its id is already stored (a duplicate delivery)."""
        ...

    async def get_event(self, event_id: str, *, for_update: bool = False) -> StoredEvent | None: ...

    async def mark_event(self, event_id: str, status: EventStatus, at: datetime) -> None: ...

    async def purge_events(self, received_before: datetime, limit: int) -> int: ...

    # -- metered usage ------------------------------------------------------------------------
    async def add_meter_event(self, event: MeterEvent) -> bool:
        """Record a report to send; False when its identifier exists."""
        ...

    async def reported_overage(self, account_id: str, period: date) -> tuple[int, int]:
        """(tokens recorded for reporting, of which sent) for the account and period."""
        ...

    async def unsent_meter_events(self, limit: int) -> list[MeterEvent]: ...

    async def mark_meter_event_sent(self, identifier: str, at: datetime) -> None: ...

    # -- runs (sweeps and reconciliations) ----------------------------------------------------
    async def add_run(self, run_id: str, kind: str, at: datetime, summary: Mapping[str, object]) -> None: ...

    async def list_runs(self, kind: str, limit: int) -> list[dict[str, object]]: ...
