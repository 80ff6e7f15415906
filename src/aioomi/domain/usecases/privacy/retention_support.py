"""What the privacy use cases share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import (
    ENDED_SESSION_RETENTION,
    EXPORT_RETENTION,
    PENDING_SIGN_IN_RETENTION,
    REQUEST_LOG_RETENTION,
    RETENTION_RUN_HISTORY,
    TOKEN_RETENTION,
    RetentionRun,
    SweepKind,
)
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory

RUN_RETENTION_SWEEPS = "privacy.retention_sweeps"

DELETE_STRIPE_CUSTOMER = "privacy.delete_stripe_customer"


class DeleteStripeCustomerPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The payload of a ``privacy.delete_stripe_customer`` job: what a purge could not delete
    at Stripe (``""``: nothing of that kind)."""

    subscription_id: str = ""
    customer_id: str = ""


STRIPE_RETRY_ATTEMPTS = 30
"""Starts of the Stripe clean-up job (exponential backoff capped at 30 minutes: about 12 hours)."""


PURGE_DELETED_ACCOUNTS = "privacy.purge_deleted_accounts"


RETENTION_TABLE: list[tuple[str, str, str]] = [
    (
        SweepKind.CHATS,
        "chat sessions and messages",
        "12 months after the session was created, or the agent's shorter setting",
    ),
    (SweepKind.REQUEST_LOG, "API request log", f"{REQUEST_LOG_RETENTION.days} days"),
    (SweepKind.OWNER_SESSIONS, "owner sessions", f"{ENDED_SESSION_RETENTION.days} days after expiry or revocation"),
    (SweepKind.TOKENS, "verification, reset and email-change tokens", f"{TOKEN_RETENTION.days} days after expiry"),
    (SweepKind.PENDING_SIGN_INS, "pending Google sign-ins", f"{PENDING_SIGN_IN_RETENTION.days} day after expiry"),
    (SweepKind.TRUSTED_DEVICES, "trusted devices (device cookies)", "at expiry (180 days after the sign-in)"),
    (SweepKind.EXPORTS, "data exports (archive and row)", f"{EXPORT_RETENTION.days} days after the request"),
    (
        SweepKind.KNOWLEDGE_ORPHANS,
        "chunks, embeddings and files of removed documents",
        "at removal; the sweep verifies none is left",
    ),
    (SweepKind.ANALYTICS_OPT_OUT, "request log of objecting or restricted accounts", "account and IP dropped"),
    (SweepKind.ACCOUNTS, "accounts pending deletion", "purged after the grace period, within 30 days"),
    (SweepKind.FINISHED_JOBS, "finished jobs", "7 days after they finished"),
    (SweepKind.BILLING_RECORDS, "billing records", "7 years after their date, detached at erasure"),
    (SweepKind.OUTBOX, "e-mails kept in the outbox folder (no SMTP relay)", "7 days (configurable) after sending"),
    (SweepKind.RUN_LOG, "this sweep log", f"{RETENTION_RUN_HISTORY.days} days"),
]


async def run_recorded(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    records: OperationalRecords,
    kind: str,
    step: Callable[[], Awaitable[int]],
    **detail: Any,
) -> int | None:
    """Run ``step`` under the kind's lock and record the run; None if another worker runs it."""
    async with records.exclusive(f"retention:{kind}") as taken:
        if not taken:
            return None  # another worker runs this kind now
        started = clock.now()
        removed = await step()
        async with uow_factory(account_id=None) as uow:
            await uow.privacy.add_run(
                RetentionRun(
                    id=new_id("rrun"),
                    kind=kind,
                    started_at=started,
                    finished_at=clock.now(),
                    removed=removed,
                    detail=detail,
                )
            )
            await uow.commit()
    return removed


async def delete_stripe_customer(gateway: PaymentGateway, subscription_id: str | None, customer_id: str | None) -> None:
    """Cancel the subscription, then delete the customer; either already gone is fine."""
    if subscription_id:
        await gone_is_fine(gateway.cancel_subscription(subscription_id))
    if customer_id:
        await gone_is_fine(gateway.delete_customer(customer_id))


async def gone_is_fine(call: Awaitable[None]) -> None:
    """Await a payment-provider call for which "no such object" (NotFound) means it is done."""
    try:
        await call
    except NotFound:
        pass
