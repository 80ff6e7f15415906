"""The billing store on Postgres, on the unit of work's connection (its tenant scope applies)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import msgspec
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.repository import PostgresRepository, params_of, placeholders
from aioomi.domain.model.billing import (
    BillingAccount,
    BillingRecord,
    EventStatus,
    MeterEvent,
    StoredEvent,
    WebhookEvent,
)

# The billing account's columns (also read by a chat turn's one read, adapters/postgres/chat_turns.py).
ACCOUNT_COLUMNS = (
    "account_id, customer_id, subscription_id, plan_id, status, current_period_start, current_period_end, "
    "cancel_at_period_end, state_at, payment_failed_at, downgraded_at, updated_at"
)
_ACCOUNT = ACCOUNT_COLUMNS
_RECORD = (
    "id, kind, stripe_id, account_id, account_ref, stripe_customer_id, stripe_invoice_id, stripe_subscription_id, "
    "amount_minor, currency, status, period_start, period_end, occurred_at, status_at, created_at"
)
_METER = "identifier, account_id, customer_id, period, value, occurred_at, sent_at"


class PostgresBillingStore(PostgresRepository):
    """:class:`aioomi.ports.billing.BillingStore` on the billing tables."""

    # -- accounts -------------------------------------------------------------------------------
    async def get_account(self, account_id: str, *, for_update: bool = False) -> BillingAccount | None:
        rows = await self._rows(
            f"SELECT {_ACCOUNT} FROM billing_accounts WHERE account_id = %s{' FOR UPDATE' if for_update else ''}",
            (account_id,),
        )
        return msgspec.convert(rows[0], BillingAccount) if rows else None

    async def save_account(self, billing: BillingAccount) -> None:
        updates = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in _ACCOUNT.split(",")[1:])
        await self._execute(
            f"INSERT INTO billing_accounts ({_ACCOUNT}) VALUES ({placeholders(_ACCOUNT)}) "
            f"ON CONFLICT (account_id) DO UPDATE SET {updates}",
            params_of(billing),
        )

    async def find_by_customer(self, customer_id: str) -> BillingAccount | None:
        rows = await self._rows(f"SELECT {_ACCOUNT} FROM billing_accounts WHERE customer_id = %s", (customer_id,))
        return msgspec.convert(rows[0], BillingAccount) if rows else None

    async def list_paying(self, *, after: str | None, limit: int) -> list[BillingAccount]:
        rows = await self._rows(
            f"SELECT {_ACCOUNT} FROM billing_accounts WHERE status IN ('active', 'trialing', 'past_due') "
            "AND downgraded_at IS NULL AND customer_id IS NOT NULL AND account_id > %s ORDER BY account_id LIMIT %s",
            (after or "", limit),
        )
        return [msgspec.convert(r, BillingAccount) for r in rows]

    async def list_grace_expired(self, failed_before: datetime, limit: int) -> list[BillingAccount]:
        rows = await self._rows(
            f"SELECT {_ACCOUNT} FROM billing_accounts WHERE payment_failed_at < %s AND downgraded_at IS NULL "
            "ORDER BY payment_failed_at LIMIT %s",
            (failed_before, limit),
        )
        return [msgspec.convert(r, BillingAccount) for r in rows]

    # -- records --------------------------------------------------------------------------------
    async def get_record(self, kind: str, stripe_id: str) -> BillingRecord | None:
        rows = await self._rows(
            f"SELECT {_RECORD} FROM billing_records WHERE kind = %s AND stripe_id = %s", (kind, stripe_id)
        )
        return msgspec.convert(rows[0], BillingRecord) if rows else None

    async def save_record(self, record: BillingRecord) -> None:
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for c in (
                "amount_minor",
                "currency",
                "status",
                "period_start",
                "period_end",
                "status_at",
                "stripe_subscription_id",
            )
        )
        await self._execute(
            f"INSERT INTO billing_records ({_RECORD}) VALUES ({placeholders(_RECORD)}) "
            f"ON CONFLICT (kind, stripe_id) DO UPDATE SET {updates}",
            params_of(record),
        )

    async def list_records(self, account_id: str, limit: int) -> list[BillingRecord]:
        rows = await self._rows(
            f"SELECT {_RECORD} FROM billing_records WHERE account_id = %s ORDER BY occurred_at DESC, id LIMIT %s",
            (account_id, limit),
        )
        return [msgspec.convert(r, BillingRecord) for r in rows]

    async def detach_records(self, account_id: str) -> int:
        return await self._execute("UPDATE billing_records SET account_id = NULL WHERE account_id = %s", (account_id,))

    async def purge_records(self, occurred_before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM billing_records WHERE id IN (SELECT id FROM billing_records WHERE occurred_at < %s "
            "ORDER BY occurred_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            (occurred_before, limit),
        )

    # -- events ---------------------------------------------------------------------------------
    async def add_event(self, event: WebhookEvent, received_at: datetime, status: EventStatus) -> bool:
        return 1 == await self._execute(
            "INSERT INTO stripe_events (id, type, created, data, status, received_at) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (event.id, event.type, event.created, Jsonb(event.data), str(status), received_at),
        )

    async def get_event(self, event_id: str, *, for_update: bool = False) -> StoredEvent | None:
        rows = await self._rows(
            "SELECT id, type, created, data, status, received_at, processed_at FROM stripe_events WHERE id = %s"
            + (" FOR UPDATE" if for_update else ""),
            (event_id,),
        )
        return msgspec.convert(rows[0], StoredEvent) if rows else None

    async def mark_event(self, event_id: str, status: EventStatus, at: datetime) -> None:
        await self._execute(
            "UPDATE stripe_events SET status = %s, processed_at = %s WHERE id = %s", (str(status), at, event_id)
        )

    async def purge_events(self, received_before: datetime, limit: int) -> int:
        return await self._execute(
            "DELETE FROM stripe_events WHERE id IN (SELECT id FROM stripe_events WHERE received_at < %s "
            "AND status <> 'received' ORDER BY received_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            (received_before, limit),
        )

    # -- meter ----------------------------------------------------------------------------------
    async def add_meter_event(self, event: MeterEvent) -> bool:
        return 1 == await self._execute(
            f"INSERT INTO meter_events ({_METER}) VALUES ({placeholders(_METER)}) ON CONFLICT DO NOTHING",
            params_of(event),
        )

    async def reported_overage(self, account_id: str, period: date) -> tuple[int, int]:
        rows = await self._rows(
            "SELECT coalesce(sum(value), 0)::bigint AS recorded, "
            "coalesce(sum(value) FILTER (WHERE sent_at IS NOT NULL), 0)::bigint AS sent "
            "FROM meter_events WHERE account_id = %s AND period = %s",
            (account_id, period),
        )
        return rows[0]["recorded"], rows[0]["sent"]

    async def unsent_meter_events(self, limit: int) -> list[MeterEvent]:
        rows = await self._rows(
            f"SELECT {_METER} FROM meter_events WHERE sent_at IS NULL ORDER BY occurred_at, identifier LIMIT %s "
            "FOR UPDATE SKIP LOCKED",
            (limit,),
        )
        return [msgspec.convert(r, MeterEvent) for r in rows]

    async def mark_meter_event_sent(self, identifier: str, at: datetime) -> None:
        await self._execute("UPDATE meter_events SET sent_at = %s WHERE identifier = %s", (at, identifier))

    # -- runs -----------------------------------------------------------------------------------
    async def add_run(self, run_id: str, kind: str, at: datetime, summary: Mapping[str, object]) -> None:
        await self._execute(
            "INSERT INTO billing_runs (id, kind, ran_at, summary) VALUES (%s, %s, %s, %s)",
            (run_id, kind, at, Jsonb(summary)),
        )

    async def list_runs(self, kind: str, limit: int) -> list[dict]:
        rows = await self._rows(
            "SELECT id, kind, ran_at, summary FROM billing_runs WHERE kind = %s ORDER BY ran_at DESC, id LIMIT %s",
            (kind, limit),
        )
        return rows
