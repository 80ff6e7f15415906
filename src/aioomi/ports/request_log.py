"""Where the API request log is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery


class RequestLog(Protocol):
    """Append-only; written in batches, across tenants (each entry names its account)."""

    async def add_many(self, entries: Sequence[RequestLogEntry]) -> None: ...

    async def recent(self, account_id: str, limit: int = 100) -> list[RequestLogEntry]:
        """The account's newest entries, newest first."""
        ...

    async def search(self, account_id: str, query: RequestLogQuery) -> list[RequestLogEntry]:
        """The account's entries that match ``query``, newest first, at most ``query.limit``."""
        ...
