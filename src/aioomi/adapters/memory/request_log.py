"""The API request log in memory."""

from __future__ import annotations

from collections.abc import Sequence

from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery


class InMemoryRequestLog:
    """:class:`aioomi.ports.request_log.RequestLog` in a list."""

    def __init__(self) -> None:
        self.entries: list[RequestLogEntry] = []

    async def add_many(self, entries: Sequence[RequestLogEntry]) -> None:
        self.entries.extend(entries)

    async def recent(self, account_id: str, limit: int = 100) -> list[RequestLogEntry]:
        mine = [e for e in self.entries if e.account_id == account_id]
        return sorted(mine, key=lambda e: e.occurred_at, reverse=True)[:limit]

    async def search(self, account_id: str, query: RequestLogQuery) -> list[RequestLogEntry]:
        mine = [e for e in self.entries if e.account_id == account_id and query.matches(e)]
        return sorted(mine, key=lambda e: e.occurred_at, reverse=True)[:query.limit]
