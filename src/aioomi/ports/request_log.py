"""Where the API request log is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery


class RequestLog(Protocol):
    """Append-only; written in batches, across tenants (each entry names its account)."""

    async def add_many(self, entries: Sequence[RequestLogEntry]) -> None:
        """Append ``entries``; an entry naming an account keeps its account and IP only if that
        account exists, is active (not restricted, not pending deletion) and has not objected to
        usage analytics, decided in the same statement as the insert, under a lock that the
        purge's delete of the account waits for: no batch written after an erasure names the
        erased account. Anonymous entries are written as they are."""
        ...

    async def recent(self, account_id: str, limit: int = 100) -> list[RequestLogEntry]:
        """The account's newest entries, newest first."""
        ...

    async def search(self, account_id: str, query: RequestLogQuery) -> list[RequestLogEntry]:
        """The account's entries that match ``query``, newest first, at most ``query.limit``."""
        ...
