"""The usage ledger in memory, with the Postgres ledger's semantics."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import msgspec

from aioomi.adapters.memory.tables import Table
from aioomi.domain.model.usage import (
    AllowanceState,
    PeriodUsage,
    UsageEntry,
    UsageKind,
    UsageTotal,
    check_groups,
    period_start,
)


class AgentCap(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    agent_id: str
    monthly_tokens: int


def _usage(entries: list[UsageEntry]) -> PeriodUsage:
    return PeriodUsage(
        messages=sum(1 for e in entries if e.kind is UsageKind.CHAT), tokens=sum(e.tokens for e in entries)
    )


class InMemoryUsageLedger:
    def __init__(self, entries: Table[UsageEntry], caps: Table[AgentCap]) -> None:
        self._entries = entries
        self._caps = caps

    async def add(self, entry: UsageEntry) -> None:
        self._entries.put(entry.id, entry)

    def _in_period(self, account_id: str, period: date) -> list[UsageEntry]:
        return [
            e for e in self._entries.values() if e.account_id == account_id and period_start(e.occurred_at) == period
        ]

    async def totals(
        self, account_id: str, since: datetime, until: datetime, group_by: tuple[str, ...] = ("day", "agent", "model")
    ) -> list[UsageTotal]:
        groups = check_groups(group_by)
        sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for e in self._entries.values():
            if e.account_id != account_id or not since <= e.occurred_at < until:
                continue
            key = (
                e.occurred_at.astimezone(UTC).date() if "day" in groups else None,
                e.agent_id if "agent" in groups else None,
                e.model if "model" in groups else None,
            )
            total = sums[key]
            total[0] += 1
            total[1] += e.prompt_tokens
            total[2] += e.completion_tokens
        return [
            UsageTotal(day=k[0], agent_id=k[1], model=k[2], calls=v[0], prompt_tokens=v[1], completion_tokens=v[2])
            for k, v in sorted(sums.items(), key=lambda item: tuple("" if x is None else str(x) for x in item[0]))
        ]

    async def period_usage(self, account_id: str, period: date) -> PeriodUsage:
        return _usage(self._in_period(account_id, period))

    async def allowance_state(self, account_id: str, agent_id: str, period: date) -> AllowanceState:
        entries = self._in_period(account_id, period)
        cap = self._caps.get(f"{account_id}/{agent_id}")
        return AllowanceState(
            account=_usage(entries),
            agent=_usage([e for e in entries if e.agent_id == agent_id]),
            agent_token_cap=cap.monthly_tokens if cap is not None and cap.account_id == account_id else None,
        )

    async def set_agent_token_cap(self, account_id: str, agent_id: str, tokens: int | None) -> None:
        key = f"{account_id}/{agent_id}"
        if tokens is None:
            if self._caps.get(key) is not None:
                self._caps.delete(key)
        else:
            self._caps.put(key, AgentCap(account_id=account_id, agent_id=agent_id, monthly_tokens=tokens))

    async def agent_token_caps(self, account_id: str) -> dict[str, int]:
        return {c.agent_id: c.monthly_tokens for c in self._caps.values() if c.account_id == account_id}
