"""The usage ledger: token usage per call, and the running monthly counters quotas read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from aioomi.domain.model.usage import AllowanceState, PeriodUsage, UsageEntry, UsageTotal


class UsageLedger(Protocol):
    """Works inside a unit of work, scoped to its account (system scope for billing sweeps)."""

    async def add(self, entry: UsageEntry) -> None:
        """Record ``entry`` and add it to the account's and the agent's counters for its
        monthly period, in the same transaction (a chat entry counts one message)."""
        ...

    async def totals(
        self, account_id: str, since: datetime, until: datetime, group_by: tuple[str, ...] = ("day", "agent", "model")
    ) -> list[UsageTotal]:
        """Sums of entries in ``[since, until)``, one per group (``day`` is the UTC date),
        ordered by the group keys."""
        ...

    async def period_usage(self, account_id: str, period: date) -> PeriodUsage:
        """The account's counters for the monthly period starting on ``period``."""
        ...

    async def allowance_state(self, account_id: str, agent_id: str, period: date) -> AllowanceState:
        """What a quota check needs, read from counters (no scan of the ledger)."""
        ...

    async def set_agent_token_cap(self, account_id: str, agent_id: str, tokens: int | None) -> None:
        """Set (or with ``None`` remove) the agent's hard monthly cap in tokens."""
        ...

    async def agent_token_caps(self, account_id: str) -> dict[str, int]:
        """The account's agents that have a cap, and the cap."""
        ...
