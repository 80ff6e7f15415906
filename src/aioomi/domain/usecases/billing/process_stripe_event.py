"""The ProcessStripeEvent use case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from aioomi.domain.model.billing import (
    SEND_NOTICE_JOB,
    BillingAccount,
    BillingConfig,
    BillingRecord,
    EventStatus,
    Notice,
    RecordKind,
    StoredEvent,
    SubscriptionStatus,
    account_ref,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


def _at(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int | float) and value else None


def _id(value: Any) -> str | None:
    """A Stripe reference: an id, or an expanded object carrying one."""
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) and value else None


class ProcessStripeEvent:
    """Apply one stored Stripe event. Runs in the worker; safe to run again (a processed event
    is skipped) and order-safe.

    Rules:
    - subscription state is never taken from the event: the subscription is re-fetched from
      Stripe while the account's billing row is locked, so whatever order events arrive in, the
      stored state is Stripe's current one;
    - an invoice or payment record keeps its newest status: an older event never overwrites a
      newer one, and ``paid`` is final;
    - ``invoice.payment_failed`` starts the grace period (once) and e-mails the owner;
      ``invoice.paid`` after it ends the grace period (and a downgrade) and e-mails the owner;
    - ``customer.deleted`` forgets the customer (back to the free plan); records stay;
    - billing belongs to a workspace, whatever its id: a checkout or subscription is matched by
      its stored customer, else by the workspace its metadata (``client_reference_id``) names,
      if that workspace exists;
    - events for customers and workspaces Aioomi does not know are marked ``ignored``.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, gateway: PaymentGateway | None, clock: Clock, config: BillingConfig
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._config = config

    async def __call__(self, event_id: str) -> str:
        async with self._uow(account_id=None) as uow:
            event = await uow.billing.get_event(event_id, for_update=True)
            if event is None or event.status is not EventStatus.RECEIVED:
                return "skipped"
            outcome = await self._apply(uow, event)
            await uow.billing.mark_event(event_id, outcome, self._clock.now())
            await uow.commit()
        return str(outcome)

    async def _apply(self, uow: UnitOfWork, event: StoredEvent) -> EventStatus:
        obj = event.data
        if event.type == "checkout.session.completed":
            return await self._checkout_completed(uow, event, obj)
        if event.type.startswith("customer.subscription."):
            return await self._sync_subscription(uow, event, obj.get("id"), _id(obj.get("customer")))
        if event.type in ("invoice.paid", "invoice.payment_failed"):
            return await self._invoice(uow, event, obj)
        if event.type == "customer.deleted":
            billing = await uow.billing.find_by_customer(obj.get("id", ""))
            if billing is None:
                return EventStatus.IGNORED
            billing = await uow.billing.get_account(billing.account_id, for_update=True) or billing
            await uow.billing.save_account(
                msgspec.structs.replace(
                    billing,
                    customer_id=None,
                    subscription_id=None,
                    status=SubscriptionStatus.NONE,
                    plan_id="free",
                    cancel_at_period_end=False,
                    payment_failed_at=None,
                    state_at=event.created,
                    updated_at=self._clock.now(),
                )
            )
            return EventStatus.PROCESSED
        return EventStatus.IGNORED

    async def _checkout_completed(self, uow: UnitOfWork, event: StoredEvent, obj: dict[str, Any]) -> EventStatus:
        account_id = obj.get("client_reference_id")
        customer_id = _id(obj.get("customer"))
        if not account_id or await uow.workspaces.get(account_id) is None:
            return EventStatus.IGNORED
        billing = await uow.billing.get_account(account_id, for_update=True) or BillingAccount(account_id=account_id)
        if billing.customer_id is None and customer_id:
            billing = msgspec.structs.replace(billing, customer_id=customer_id, updated_at=self._clock.now())
            await uow.billing.save_account(billing)
        subscription_id = _id(obj.get("subscription"))
        if subscription_id:
            return await self._sync_subscription(uow, event, subscription_id, billing.customer_id or customer_id)
        return EventStatus.PROCESSED

    async def _sync_subscription(
        self, uow: UnitOfWork, event: StoredEvent, subscription_id: str | None, customer_id: str | None
    ) -> EventStatus:
        if not subscription_id or self._gateway is None:
            return EventStatus.IGNORED
        billing = await uow.billing.find_by_customer(customer_id) if customer_id else None
        if billing is not None:
            billing = await uow.billing.get_account(billing.account_id, for_update=True)
        # Re-fetched under the lock: Stripe's state now, whatever order the events came in.
        snapshot = await self._gateway.retrieve_subscription(subscription_id)
        if billing is None and snapshot.account_id and await uow.workspaces.get(snapshot.account_id) is not None:
            billing = await uow.billing.get_account(snapshot.account_id, for_update=True) or BillingAccount(
                account_id=snapshot.account_id, customer_id=snapshot.customer_id
            )
        if billing is None:
            return EventStatus.IGNORED
        if billing.subscription_id not in (None, snapshot.id) and snapshot.status is SubscriptionStatus.CANCELED:
            return EventStatus.PROCESSED  # an old subscription ended; the account has a newer one
        plan = self._config.catalog.for_prices(snapshot.price_ids)
        renewed = snapshot.id != billing.subscription_id and snapshot.status is SubscriptionStatus.ACTIVE
        await uow.billing.save_account(
            msgspec.structs.replace(
                billing,
                customer_id=billing.customer_id or snapshot.customer_id,
                subscription_id=snapshot.id,
                plan_id=plan.id if plan is not None else "free",
                status=snapshot.status,
                current_period_start=snapshot.current_period_start,
                current_period_end=snapshot.current_period_end,
                cancel_at_period_end=snapshot.cancel_at_period_end,
                state_at=max(filter(None, (billing.state_at, event.created))),
                payment_failed_at=None if renewed else billing.payment_failed_at,
                downgraded_at=None if renewed else billing.downgraded_at,
                updated_at=self._clock.now(),
            )
        )
        return EventStatus.PROCESSED

    async def _invoice(self, uow: UnitOfWork, event: StoredEvent, obj: dict[str, Any]) -> EventStatus:
        customer_id = _id(obj.get("customer"))
        billing = await uow.billing.find_by_customer(customer_id) if customer_id else None
        if billing is None:
            return EventStatus.IGNORED
        billing = await uow.billing.get_account(billing.account_id, for_update=True) or billing
        paid = event.type == "invoice.paid"
        now = self._clock.now()
        invoice_id = obj.get("id") or event.id
        lines = (obj.get("lines") or {}).get("data") or [{}]
        period = lines[0].get("period") or {}
        invoice = BillingRecord(
            id="",
            kind=RecordKind.INVOICE,
            stripe_id=invoice_id,
            account_id=billing.account_id,
            account_ref=account_ref(billing.account_id),
            stripe_customer_id=customer_id,
            stripe_invoice_id=invoice_id,
            stripe_subscription_id=_id(obj.get("subscription"))
            or _id(((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")),
            currency=str(obj.get("currency") or "usd").lower(),
            period_start=_at(period.get("start")) or _at(obj.get("period_start")),
            period_end=_at(period.get("end")) or _at(obj.get("period_end")),
            amount_minor=int(obj.get("amount_due") or obj.get("total") or 0),
            status="paid" if paid else "payment_failed",
            occurred_at=_at(obj.get("created")) or event.created,
            status_at=event.created,
            created_at=now,
        )
        existing = await uow.billing.get_record(RecordKind.INVOICE, invoice_id)
        newer_known = existing is not None and (existing.status == "paid" or existing.status_at > event.created)
        if not newer_known:
            await uow.billing.save_record(
                msgspec.structs.replace(invoice, id=existing.id if existing else new_id("bill"))
            )
        await uow.billing.save_record(
            msgspec.structs.replace(
                invoice,
                id=new_id("bill"),
                kind=RecordKind.PAYMENT,
                stripe_id=event.id,
                amount_minor=int((obj.get("amount_paid") if paid else obj.get("amount_due")) or 0),
                status="succeeded" if paid else "failed",
                occurred_at=event.created,
            )
        )
        if paid:
            if billing.payment_failed_at is not None and event.created >= billing.payment_failed_at:
                await uow.billing.save_account(
                    msgspec.structs.replace(billing, payment_failed_at=None, downgraded_at=None, updated_at=now)
                )
                await self._notify(uow, billing.account_id, Notice.PAYMENT_RECOVERED, event.id, {})
        elif billing.payment_failed_at is None and not newer_known:
            grace_ends = event.created + self._config.grace
            await uow.billing.save_account(
                msgspec.structs.replace(billing, payment_failed_at=event.created, updated_at=now)
            )
            await self._notify(
                uow, billing.account_id, Notice.PAYMENT_FAILED, event.id, {"grace_ends_at": grace_ends.isoformat()}
            )
        return EventStatus.PROCESSED

    @staticmethod
    async def _notify(uow: UnitOfWork, account_id: str, notice: Notice, key: str, details: dict[str, str]) -> None:
        await uow.jobs.enqueue(
            NewJob(
                kind=SEND_NOTICE_JOB,
                payload={"account_id": account_id, "notice": str(notice), **details},
                dedupe_key=f"{notice}:{key}",
            )
        )
