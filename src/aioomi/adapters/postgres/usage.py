"""The usage ledger on Postgres: ``usage_entries`` plus the ``usage_counters`` that quotas read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.usage import (
    AllowanceState,
    PeriodUsage,
    UsageEntry,
    UsageKind,
    UsageTotal,
    check_groups,
    period_start,
)

_GROUP_SQL = {"day": "(occurred_at AT TIME ZONE 'UTC')::date", "agent": "agent_id", "model": "model"}
_GROUP_NAME = {"day": "day", "agent": "agent_id", "model": "model"}


class PostgresUsageLedger(PostgresRepository):
    """:class:`aioomi.ports.usage.UsageLedger` on the unit of work's connection."""

    async def add(self, entry: UsageEntry) -> None:
        await self._write(
            "INSERT INTO usage_entries (id, account_id, agent_id, session_id, model, kind, prompt_tokens, "
            "completion_tokens, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                entry.id,
                entry.account_id,
                entry.agent_id,
                entry.session_id,
                entry.model,
                str(entry.kind),
                entry.prompt_tokens,
                entry.completion_tokens,
                entry.occurred_at,
            ),
        )
        await self._write(
            "INSERT INTO usage_counters AS c (account_id, agent_id, period, messages, tokens) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account_id, period, agent_id) DO UPDATE "
            "SET messages = c.messages + EXCLUDED.messages, tokens = c.tokens + EXCLUDED.tokens",
            (
                entry.account_id,
                entry.agent_id,
                period_start(entry.occurred_at),
                1 if entry.kind is UsageKind.CHAT else 0,
                entry.tokens,
            ),
        )

    async def totals(
        self, account_id: str, since: datetime, until: datetime, group_by: tuple[str, ...] = ("day", "agent", "model")
    ) -> list[UsageTotal]:
        groups = check_groups(group_by)
        keys = [f"{_GROUP_SQL[g]} AS {_GROUP_NAME[g]}" for g in groups]
        select = ", ".join(
            [
                *keys,
                "count(*) AS calls",
                "sum(prompt_tokens)::bigint AS prompt_tokens",
                "sum(completion_tokens)::bigint AS completion_tokens",
            ]
        )
        tail = (
            f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))} ORDER BY "
            f"{', '.join(str(i + 1) for i in range(len(groups)))}"
            if groups
            else ""
        )
        rows = await self._rows(
            f"SELECT {select} FROM usage_entries WHERE account_id = %s AND occurred_at >= %s "
            f"AND occurred_at < %s{tail}",
            (account_id, since, until),
        )
        return [UsageTotal(**row) for row in rows if row["calls"]]

    async def period_usage(self, account_id: str, period: date) -> PeriodUsage:
        rows = await self._rows(
            "SELECT coalesce(sum(messages), 0)::bigint AS messages, coalesce(sum(tokens), 0)::bigint AS tokens "
            "FROM usage_counters WHERE account_id = %s AND period = %s",
            (account_id, period),
        )
        return PeriodUsage(**rows[0])

    async def allowance_state(self, account_id: str, agent_id: str, period: date) -> AllowanceState:
        rows = await self._rows(ALLOWANCE_STATE, {"account": account_id, "agent": agent_id, "period": period})
        return allowance_state(rows[0])

    async def set_agent_token_cap(self, account_id: str, agent_id: str, tokens: int | None) -> None:
        with translated_errors():
            if tokens is None:
                await self._conn.execute(
                    "DELETE FROM usage_caps WHERE account_id = %s AND agent_id = %s", (account_id, agent_id)
                )
            else:
                await self._conn.execute(
                    "INSERT INTO usage_caps (account_id, agent_id, monthly_tokens) VALUES (%s, %s, %s) "
                    "ON CONFLICT (account_id, agent_id) DO UPDATE SET monthly_tokens = EXCLUDED.monthly_tokens",
                    (account_id, agent_id, tokens),
                )

    async def agent_token_caps(self, account_id: str) -> dict[str, int]:
        rows = await self._rows("SELECT agent_id, monthly_tokens FROM usage_caps WHERE account_id = %s", (account_id,))
        return {row["agent_id"]: row["monthly_tokens"] for row in rows}


# The account's and the agent's use in a period and the agent's cap, in one row (parameters
# ``account``, ``agent``, ``period``): read by the quota check and by a chat turn's one read.
ALLOWANCE_STATE = (
    "SELECT coalesce(sum(messages), 0)::bigint AS messages, coalesce(sum(tokens), 0)::bigint AS tokens, "
    "coalesce(sum(messages) FILTER (WHERE agent_id = %(agent)s), 0)::bigint AS agent_messages, "
    "coalesce(sum(tokens) FILTER (WHERE agent_id = %(agent)s), 0)::bigint AS agent_tokens, "
    "(SELECT monthly_tokens FROM usage_caps WHERE account_id = %(account)s AND agent_id = %(agent)s) AS cap "
    "FROM usage_counters WHERE account_id = %(account)s AND period = %(period)s"
)


def allowance_state(row: dict[str, Any]) -> AllowanceState:
    """The row of :data:`ALLOWANCE_STATE` as the domain reads it."""
    return AllowanceState(
        account=PeriodUsage(messages=row["messages"], tokens=row["tokens"]),
        agent=PeriodUsage(messages=row["agent_messages"], tokens=row["agent_tokens"]),
        agent_token_cap=row["cap"],
    )
