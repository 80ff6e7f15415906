"""The API request log in memory."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from aioomi.adapters.memory.tables import MemoryDatabase
from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery


class InMemoryRequestLog:
    """:class:`aioomi.ports.request_log.RequestLog` in a list; the accounts and their privacy
    state are read from the committed memory tables, with no await between the check and the
    append (the memory counterpart of the Postgres adapter's one statement)."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.entries: list[RequestLogEntry] = []
        self._database = database if database is not None else MemoryDatabase()

    def _may_name(self, account_id: str) -> bool:
        account = self._database.table("accounts").get(account_id)
        state = self._database.table("account_privacy").get(account_id)
        return (
            account is not None
            and str(account.status) == "active"
            and (state is None or (state.objected_at is None and state.restricted_at is None))
        )

    async def add_many(self, entries: Sequence[RequestLogEntry]) -> None:
        self.entries.extend(
            e
            if e.account_id is None or self._may_name(e.account_id)
            else msgspec.structs.replace(e, account_id=None, ip=None)
            for e in entries
        )

    async def recent(self, account_id: str, limit: int = 100) -> list[RequestLogEntry]:
        mine = [e for e in self.entries if e.account_id == account_id]
        return sorted(mine, key=lambda e: e.occurred_at, reverse=True)[:limit]

    async def search(self, account_id: str, query: RequestLogQuery) -> list[RequestLogEntry]:
        mine = [e for e in self.entries if e.account_id == account_id and query.matches(e)]
        return sorted(mine, key=lambda e: e.occurred_at, reverse=True)[: query.limit]
