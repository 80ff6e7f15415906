"""The owner's analytics, read inside a unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aioomi.domain.model.analytics import CitedDocument, DayCounts, TopGroup


class AnalyticsRepository(Protocol):
    """Scoped to the unit of work's account; every call names the account too. ``agent_id``
    ``None`` means every agent of the account. Times are ``[since, until)``."""

    async def daily(self, account_id: str, agent_id: str | None, since: datetime, until: datetime) -> list[DayCounts]:
        """One row per UTC day with any activity (see :class:`DayCounts`), by day: sessions by
        their creation time, messages and answers by theirs, votes with the answer they rate."""
        ...

    async def top_documents(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime, *, limit: int
    ) -> list[CitedDocument]:
        """The documents cited by most answers created in the range, most first (then id)."""
        ...

    async def top_groups(
        self, account_id: str, agent_id: str | None, since: datetime, until: datetime, *, limit: int
    ) -> list[TopGroup]:
        """Open question groups last seen in the range, largest first (then id)."""
        ...
