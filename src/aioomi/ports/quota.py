"""The quota check the chat path calls before it spends tokens."""

from __future__ import annotations

from typing import Protocol


class UsageAllowance(Protocol):
    """Decides from local state only (never a call to the payment provider), so it is cheap
    enough for every chat turn."""

    async def check(self, account_id: str, agent_id: str) -> None:
        """Return if the account may spend more on ``agent_id`` this period; raise
        :class:`~aioomi.domain.model.usage.QuotaExceeded` when the plan's allowance or the
        agent's cap is used up."""
        ...
