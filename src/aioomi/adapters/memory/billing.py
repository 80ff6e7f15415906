"""The billing store in memory, with the Postgres store's semantics (detached records and
events are visible to the system scope only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.billing import (
    PAYING,
    BillingAccount,
    BillingRecord,
    EventStatus,
    MeterEvent,
    StoredEvent,
    WebhookEvent,
)

SYSTEM_ONLY = "\x00system"
"""The owner of rows no tenant may see (as NULL = x is never true under row-level security)."""


class BillingRun(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    ran_at: datetime
    summary: dict[str, Any]


class InMemoryBillingStore:
    def __init__(
        self,
        accounts: Table[BillingAccount],
        records: Table[BillingRecord],
        events: Table[StoredEvent],
        meter: Table[MeterEvent],
        runs: Table[BillingRun],
    ) -> None:
        self._accounts = accounts
        self._records = records
        self._events = events
        self._meter = meter
        self._runs = runs

    async def get_account(self, account_id: str, *, for_update: bool = False) -> BillingAccount | None:
        return self._accounts.get(account_id)

    async def save_account(self, billing: BillingAccount) -> None:
        self._accounts.put(billing.account_id, billing)

    async def find_by_customer(self, customer_id: str) -> BillingAccount | None:
        return next((b for b in self._accounts.values() if b.customer_id == customer_id), None)

    async def list_paying(self, *, after: str | None, limit: int) -> list[BillingAccount]:
        found = [
            b
            for b in self._accounts.values()
            if b.status in PAYING and b.downgraded_at is None and b.customer_id and b.account_id > (after or "")
        ]
        return sorted(found, key=lambda b: b.account_id)[:limit]

    async def list_grace_expired(self, failed_before: datetime, limit: int) -> list[BillingAccount]:
        found = [
            b
            for b in self._accounts.values()
            if b.payment_failed_at is not None and b.payment_failed_at < failed_before and b.downgraded_at is None
        ]
        return sorted(found, key=lambda b: b.payment_failed_at or failed_before)[:limit]

    async def get_record(self, kind: str, stripe_id: str) -> BillingRecord | None:
        return self._records.get(f"{kind}/{stripe_id}")

    async def save_record(self, record: BillingRecord) -> None:
        key = f"{record.kind}/{record.stripe_id}"
        existing = self._records.rows.get(key)
        if existing is not None:
            record = msgspec.structs.replace(
                existing,
                amount_minor=record.amount_minor,
                currency=record.currency,
                status=record.status,
                period_start=record.period_start,
                period_end=record.period_end,
                status_at=record.status_at,
                stripe_subscription_id=record.stripe_subscription_id,
            )
        self._records.put(key, record)

    async def list_records(self, account_id: str, limit: int) -> list[BillingRecord]:
        found = [r for r in self._records.values() if r.account_id == account_id]
        return sorted(found, key=lambda r: (-r.occurred_at.timestamp(), r.id))[:limit]

    async def detach_records(self, account_id: str) -> int:
        found = [
            (k, r) for k, r in self._records.rows.items() if r.account_id == account_id and self._records.visible(r)
        ]
        for key, record in found:
            self._records.rows[key] = msgspec.structs.replace(record, account_id=None)
        return len(found)

    async def purge_records(self, occurred_before: datetime, limit: int) -> int:
        doomed = sorted(
            (r for r in self._records.values() if r.occurred_at < occurred_before), key=lambda r: r.occurred_at
        )[:limit]
        for record in doomed:
            self._records.delete(f"{record.kind}/{record.stripe_id}")
        return len(doomed)

    async def add_event(self, event: WebhookEvent, received_at: datetime, status: EventStatus) -> bool:
        if event.id in self._events.rows:
            return False
        self._events.put(
            event.id,
            StoredEvent(
                id=event.id,
                type=event.type,
                created=event.created,
                data=event.data,
                status=status,
                received_at=received_at,
            ),
        )
        return True

    async def get_event(self, event_id: str, *, for_update: bool = False) -> StoredEvent | None:
        return self._events.get(event_id)

    async def mark_event(self, event_id: str, status: EventStatus, at: datetime) -> None:
        if (event := self._events.get(event_id)) is not None:
            self._events.put(event_id, msgspec.structs.replace(event, status=status, processed_at=at))

    async def purge_events(self, received_before: datetime, limit: int) -> int:
        doomed = sorted(
            (
                e
                for e in self._events.values()
                if e.received_at < received_before and e.status is not EventStatus.RECEIVED
            ),
            key=lambda e: e.received_at,
        )[:limit]
        for event in doomed:
            self._events.delete(event.id)
        return len(doomed)

    async def add_meter_event(self, event: MeterEvent) -> bool:
        if event.identifier in self._meter.rows:
            return False
        self._meter.put(event.identifier, event)
        return True

    async def reported_overage(self, account_id: str, period: date) -> tuple[int, int]:
        found = [m for m in self._meter.values() if m.account_id == account_id and m.period == period]
        return sum(m.value for m in found), sum(m.value for m in found if m.sent_at is not None)

    async def unsent_meter_events(self, limit: int) -> list[MeterEvent]:
        return sorted(
            (m for m in self._meter.values() if m.sent_at is None), key=lambda m: (m.occurred_at, m.identifier)
        )[:limit]

    async def mark_meter_event_sent(self, identifier: str, at: datetime) -> None:
        if (event := self._meter.get(identifier)) is not None:
            self._meter.put(identifier, msgspec.structs.replace(event, sent_at=at))

    async def add_run(self, run_id: str, kind: str, at: datetime, summary: Mapping[str, object]) -> None:
        self._runs.put(run_id, BillingRun(id=run_id, kind=kind, ran_at=at, summary=msgspec.to_builtins(summary)))

    async def list_runs(self, kind: str, limit: int) -> list[dict]:
        found = sorted((r for r in self._runs.values() if r.kind == kind), key=lambda r: r.ran_at, reverse=True)[:limit]
        return [msgspec.structs.asdict(r) for r in found]
