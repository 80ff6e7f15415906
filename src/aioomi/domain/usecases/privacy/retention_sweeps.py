"""RetentionSweeps: Run every periodic sweep once, each under its lock, and record each run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aioomi.domain.model.documents import document_of
from aioomi.domain.model.privacy import (
    ENDED_SESSION_RETENTION,
    PENDING_SIGN_IN_RETENTION,
    REQUEST_LOG_RETENTION,
    RETENTION_RUN_HISTORY,
    TOKEN_RETENTION,
    SweepKind,
)
from aioomi.domain.model.retention import SWEEP_BATCH
from aioomi.domain.usecases.batched_delete import delete_in_batches, in_own_transaction
from aioomi.domain.usecases.knowledge.support import document_blob_prefix
from aioomi.domain.usecases.privacy.retention_support import run_recorded
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.clock import Clock
from aioomi.ports.privacy import KeptMail, OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


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

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        records: OperationalRecords,
        blobs: BlobStore,
        chunk_store: ChunkStore,
        purge_finished_jobs: Any,
        purge_billing_records: Any,
        kept_mail: KeptMail | None = None,
        outbox_retention: timedelta = timedelta(days=7),
        batch: int = SWEEP_BATCH,
        extra_steps: dict[str, Callable[[], Awaitable[int]]] | None = None,
    ) -> None:
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
                lambda: self._records.purge_request_log(now - REQUEST_LOG_RETENTION, self._batch)
            ),
            SweepKind.OWNER_SESSIONS: lambda: self._batched(
                lambda uow: uow.privacy.sweep_owner_sessions(now - ENDED_SESSION_RETENTION, self._batch)
            ),
            SweepKind.TOKENS: lambda: self._batched(
                lambda uow: uow.privacy.sweep_tokens(now - TOKEN_RETENTION, self._batch)
            ),
            SweepKind.PENDING_SIGN_INS: lambda: self._batched(
                lambda uow: uow.privacy.sweep_pending_sign_ins(now - PENDING_SIGN_IN_RETENTION, self._batch)
            ),
            SweepKind.TRUSTED_DEVICES: lambda: self._batched(
                lambda uow: uow.privacy.sweep_trusted_devices(now, self._batch)
            ),
            SweepKind.EXPORTS: lambda: self._exports(now),
            SweepKind.KNOWLEDGE_ORPHANS: self._orphans,
            SweepKind.ANALYTICS_OPT_OUT: self._anonymize,
            SweepKind.FINISHED_JOBS: self._finished_jobs,
            SweepKind.BILLING_RECORDS: self._billing_records,
            SweepKind.OUTBOX: lambda: self._outbox(now),
            SweepKind.RUN_LOG: lambda: self._batched(
                lambda uow: uow.privacy.purge_runs(now - RETENTION_RUN_HISTORY, self._batch)
            ),
        }
        steps.update(self._extra_steps)  # leads (their agent's setting, 24 months by default), webhook events
        summary: dict[str, int] = {}
        for kind, step in steps.items():
            removed = await run_recorded(self._uow, self._clock, self._records, str(kind), step)
            if removed is not None:
                summary[str(kind)] = removed
        return summary

    async def _batched(self, step: Callable[[UnitOfWork], Awaitable[int]]) -> int:
        return await delete_in_batches(in_own_transaction(self._uow, step), self._batch)

    async def _loop(self, step: Callable[[], Awaitable[int]]) -> int:
        return await delete_in_batches(step, self._batch)

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
