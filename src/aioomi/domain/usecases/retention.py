"""The retention worker: every timer of the privacy policy, enforced by periodic sweeps.

Each sweep runs in bounded batches (``SWEEP_BATCH`` rows per transaction, ``FOR UPDATE SKIP
LOCKED`` on Postgres), is idempotent, and runs once at a time per kind (an advisory lock on
Postgres; the worker's periodic dedupe already enqueues each slot once). Every run is recorded
in ``retention_runs`` (kind, rows removed, when): ``aioomi retention report`` prints them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.documents import document_of
from aioomi.domain.usecases.ingest_document import document_blob_prefix
from aioomi.domain.model.errors import AioomiError, NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.mail import EmailMessage
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
from aioomi.domain.model.retention import SWEEP_BATCH
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.privacy import KeptMail, OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWorkFactory

RUN_RETENTION_SWEEPS = "privacy.retention_sweeps"
PURGE_DELETED_ACCOUNTS = "privacy.purge_deleted_accounts"
DELETE_STRIPE_CUSTOMER = "privacy.delete_stripe_customer"
STRIPE_RETRY_ATTEMPTS = 30
"""Starts of the Stripe clean-up job (exponential backoff capped at 30 minutes: about 12 hours)."""

RETENTION_TABLE: list[tuple[str, str, str]] = [
    (SweepKind.CHATS, "chat sessions and messages", "12 months after the session was created, or the agent's "
                                                    "shorter setting"),
    (SweepKind.REQUEST_LOG, "API request log", f"{REQUEST_LOG_RETENTION.days} days"),
    (SweepKind.OWNER_SESSIONS, "owner sessions", f"{ENDED_SESSION_RETENTION.days} days after expiry or revocation"),
    (SweepKind.TOKENS, "verification, reset and email-change tokens", f"{TOKEN_RETENTION.days} days after expiry"),
    (SweepKind.PENDING_SIGN_INS, "pending Google sign-ins", f"{PENDING_SIGN_IN_RETENTION.days} day after expiry"),
    (SweepKind.TRUSTED_DEVICES, "trusted devices (device cookies)", "at expiry (180 days after the sign-in)"),
    (SweepKind.EXPORTS, "data exports (archive and row)", f"{EXPORT_RETENTION.days} days after the request"),
    (SweepKind.KNOWLEDGE_ORPHANS, "chunks, embeddings and files of removed documents", "at removal; the sweep "
                                                                                        "verifies none is left"),
    (SweepKind.ANALYTICS_OPT_OUT, "request log of objecting or restricted accounts", "account and IP dropped"),
    (SweepKind.ACCOUNTS, "accounts pending deletion", "purged after the grace period, within 30 days"),
    (SweepKind.FINISHED_JOBS, "finished jobs", "7 days after they finished"),
    (SweepKind.BILLING_RECORDS, "billing records", "7 years after their date, detached at erasure"),
    (SweepKind.OUTBOX, "e-mails kept in the outbox folder (no SMTP relay)", "7 days (configurable) after sending"),
    (SweepKind.RUN_LOG, "this sweep log", f"{RETENTION_RUN_HISTORY.days} days"),
]


class RetentionSweeps:
    """Run every periodic sweep once, each under its lock, and record each run.

    Rules: chats 12 months after creation (or the agent's shorter setting); request log 90
    days; ended owner sessions 30 days; tokens 7 days after expiry; pending sign-ins 1 day
    after expiry; trusted devices (device cookies) at their expiry; exports 7 days (file first, then row); orphaned chunks and files of removed
    documents at once; the request log of objecting/restricted accounts anonymised; finished
    jobs and billing records by their existing sweeps (reused, recorded here too); e-mails kept
    in the outbox folder (no SMTP relay) ``outbox_retention`` after sending; leads by their
    agent's form's retention (24 months by default); webhook events 30 days (extra steps, by name).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords, blobs: BlobStore,
                 chunk_store: ChunkStore, purge_finished_jobs: Any, purge_billing_records: Any,
                 kept_mail: KeptMail | None = None, outbox_retention: timedelta = timedelta(days=7),
                 batch: int = SWEEP_BATCH, extra_steps: dict[str, Callable[[], Awaitable[int]]] | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records
        self._blobs = blobs
        self._chunks = chunk_store
        self._purge_jobs = purge_finished_jobs
        self._purge_billing = purge_billing_records
        self._kept_mail = kept_mail
        self._outbox_retention = outbox_retention
        self._batch = batch
        self._extra_steps = extra_steps or {}

    async def __call__(self) -> dict[str, int]:
        now = self._clock.now()
        steps: dict[str, Callable[[], Awaitable[int]]] = {
            SweepKind.CHATS: lambda: self._batched(lambda uow: uow.privacy.sweep_chats(now, self._batch)),
            SweepKind.REQUEST_LOG: lambda: self._loop(
                lambda: self._records.purge_request_log(now - REQUEST_LOG_RETENTION, self._batch)),
            SweepKind.OWNER_SESSIONS: lambda: self._batched(
                lambda uow: uow.privacy.sweep_owner_sessions(now - ENDED_SESSION_RETENTION, self._batch)),
            SweepKind.TOKENS: lambda: self._batched(lambda uow: uow.privacy.sweep_tokens(now - TOKEN_RETENTION,
                                                                                         self._batch)),
            SweepKind.PENDING_SIGN_INS: lambda: self._batched(
                lambda uow: uow.privacy.sweep_pending_sign_ins(now - PENDING_SIGN_IN_RETENTION, self._batch)),
            SweepKind.TRUSTED_DEVICES: lambda: self._batched(
                lambda uow: uow.privacy.sweep_trusted_devices(now, self._batch)),
            SweepKind.EXPORTS: lambda: self._exports(now),
            SweepKind.KNOWLEDGE_ORPHANS: self._orphans,
            SweepKind.ANALYTICS_OPT_OUT: self._anonymize,
            SweepKind.FINISHED_JOBS: self._finished_jobs,
            SweepKind.BILLING_RECORDS: self._billing_records,
            SweepKind.OUTBOX: lambda: self._outbox(now),
            SweepKind.RUN_LOG: lambda: self._batched(
                lambda uow: uow.privacy.purge_runs(now - RETENTION_RUN_HISTORY, self._batch)),
        }
        steps.update(self._extra_steps)  # leads (their agent's setting, 24 months by default), webhook events
        summary: dict[str, int] = {}
        for kind, step in steps.items():
            removed = await run_recorded(self._uow, self._clock, self._records, str(kind), step)
            if removed is not None:
                summary[str(kind)] = removed
        return summary

    async def _batched(self, step: Callable[[Any], Awaitable[int]]) -> int:
        total = 0
        while True:
            async with self._uow(account_id=None) as uow:
                removed = await step(uow)
                await uow.commit()
            total += removed
            if removed < self._batch:
                return total

    async def _loop(self, step: Callable[[], Awaitable[int]]) -> int:
        total = 0
        while True:
            removed = await step()
            total += removed
            if removed < self._batch:
                return total

    async def _exports(self, now: datetime) -> int:
        total = 0
        while True:
            async with self._uow(account_id=None) as uow:
                expired = await uow.privacy.expired_exports(now, self._batch)
                for export in expired:
                    if export.blob_key:
                        await self._blobs.delete(export.blob_key)
                    await uow.privacy.delete_export(export.account_id, export.id)
                await uow.commit()
            total += len(expired)
            if len(expired) < self._batch:
                return total

    async def _orphans(self) -> int:
        total = 0
        while True:
            orphans = await self._records.knowledge_orphans(self._batch)
            for account_id, agent_id, key in orphans:
                total += await self._chunks.delete_document(account_id=account_id, agent_id=agent_id, document_id=key)
                await self._blobs.delete_prefix(document_blob_prefix(account_id, agent_id, document_of(key)))
            if len(orphans) < self._batch:
                return total

    async def _anonymize(self) -> int:
        async with self._uow(account_id=None) as uow:
            accounts = await uow.privacy.analytics_opt_outs()
        return await self._records.anonymize_request_log(accounts)

    async def _finished_jobs(self) -> int:
        return int(await self._purge_jobs())

    async def _billing_records(self) -> int:
        summary = await self._purge_billing()
        return int(summary["records_removed"])

    async def _outbox(self, now: datetime) -> int:
        if self._kept_mail is None:
            return 0  # an SMTP relay: nothing is kept here
        return await self._kept_mail.purge_sent_before(now - self._outbox_retention)


async def run_recorded(uow_factory: UnitOfWorkFactory, clock: Clock, records: OperationalRecords, kind: str,
                       step: Callable[[], Awaitable[int]], **detail: Any) -> int | None:
    """Run ``step`` under the kind's lock and record the run; None if another worker runs it."""
    async with records.exclusive(f"retention:{kind}") as taken:
        if not taken:
            return None  # another worker runs this kind now
        started = clock.now()
        removed = await step()
        async with uow_factory(account_id=None) as uow:
            await uow.privacy.add_run(RetentionRun(id=new_id("rrun"), kind=kind, started_at=started,
                                                   finished_at=clock.now(), removed=removed, detail=detail))
            await uow.commit()
    return removed


class PurgeDeletedAccounts:
    """Erase accounts whose grace period ended (always within 30 days of the request).

    Rules, per account, each step idempotent so a crash mid-way is finished by the next run:
    1. Stripe: the subscription cancelled and the customer deleted; if Stripe cannot be
       reached, a retried job (``privacy.delete_stripe_customer``, Stripe ids only) finishes it
       later: an outage never holds back the purge of personal data;
    2. files: everything under the account's folder of the blob store (documents, exports);
    3. the chunk store, request log and jobs naming the account;
    4. one transaction: billing records detached (kept 7 years under a one-way reference),
       Stripe events naming the account deleted, then the account row and everything that
       cascades from it (sessions, keys, tokens, agents, documents, texts, conversations,
       usage, billing state, privacy state, audit log, exports);
    5. every e-mail kept for the address (the outbox folder) removed; then a last e-mail says
       it is done (kept, like any e-mail, until the outbox sweep). The run is recorded with
       counts only.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords, blobs: BlobStore,
                 gateway: PaymentGateway | None, mailer: Mailer, kept_mail: KeptMail | None = None,
                 batch: int = 100) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records
        self._blobs = blobs
        self._gateway = gateway
        self._mailer = mailer
        self._kept_mail = kept_mail
        self._batch = batch

    async def __call__(self) -> int | None:
        return await run_recorded(self._uow, self._clock, self._records, str(SweepKind.ACCOUNTS), self._purge_due)

    async def _purge_due(self) -> int:
        purged = 0
        while True:
            async with self._uow(account_id=None) as uow:
                due = await uow.privacy.due_for_purge(self._clock.now(), self._batch)
            for account_id in due:
                await self.purge(account_id)
                purged += 1
            if len(due) < self._batch:
                return purged

    async def purge(self, account_id: str) -> None:
        async with self._uow(account_id=account_id) as uow:
            account = await uow.accounts.get(account_id)
            billing = await uow.billing.get_account(account_id)
        if account is None or account.status is not AccountStatus.DELETION_PENDING:
            return
        stripe_left: dict[str, str] | None = None
        if self._gateway is not None and billing is not None and (billing.subscription_id or billing.customer_id):
            try:
                await delete_stripe_customer(self._gateway, billing.subscription_id, billing.customer_id)
            except AioomiError:
                stripe_left = {"subscription_id": billing.subscription_id or "",
                               "customer_id": billing.customer_id or ""}
        await self._blobs.delete_prefix(f"{account_id}/")
        await self._records.erase_account(account_id)
        async with self._uow(account_id=None) as uow:
            await uow.billing.detach_records(account_id)
            await uow.privacy.erase_account(account_id)
            if stripe_left is not None:
                await uow.jobs.enqueue(NewJob(kind=DELETE_STRIPE_CUSTOMER, payload=stripe_left,
                                              dedupe_key=f"{DELETE_STRIPE_CUSTOMER}:{stripe_left['customer_id']}"
                                                         f":{stripe_left['subscription_id']}",
                                              max_attempts=STRIPE_RETRY_ATTEMPTS))
            await uow.commit()
        await self._records.erase_account(account_id)  # a job or log row written meanwhile
        if self._kept_mail is not None:
            await self._kept_mail.purge_addressed_to(account.email)
        await self._mailer.send(EmailMessage(
            to=account.email, kind="account_deleted", subject="Your Aioomi account is deleted",
            text=(f"Hello {account.full_name},\n\nYour Aioomi account and its data are deleted. Billing records "
                  "are kept for 7 years, as tax law requires, without your profile.\n"),
        ))


async def delete_stripe_customer(gateway: PaymentGateway, subscription_id: str | None,
                                 customer_id: str | None) -> None:
    """Cancel the subscription, then delete the customer; either already gone is fine."""
    if subscription_id:
        try:
            await gateway.cancel_subscription(subscription_id)
        except NotFound:
            pass
    if customer_id:
        try:
            await gateway.delete_customer(customer_id)
        except NotFound:
            pass


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


class RetentionReport:
    """The last run of every sweep kind, newest first, for the operator."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, limit: int = 50) -> list[RetentionRun]:
        async with self._uow(account_id=None) as uow:
            return await uow.privacy.list_runs(limit)

