"""The API request log in memory."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from aioomi.adapters.memory.tables import MemoryDatabase
from aioomi.adapters.memory.workspaces import owner_analytics
from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery
from aioomi.domain.model.workspace_state import request_log_may_name


class InMemoryRequestLog:
    """:class:`aioomi.ports.request_log.RequestLog` in a list; the workspace's owners, their
    accounts and their privacy state are read from the committed memory tables, with no await
    between the check and the append (the memory counterpart of the Postgres adapter's one
    statement; the rule is :func:`~aioomi.domain.model.workspace_state.request_log_may_name`)."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.entries: list[RequestLogEntry] = []
        self._database = database if database is not None else MemoryDatabase()

    def _may_name(self, workspace_id: str) -> bool:
        return request_log_may_name(owner_analytics(self._database, workspace_id))

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
