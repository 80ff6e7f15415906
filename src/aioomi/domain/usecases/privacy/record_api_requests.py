"""The RecordApiRequests use case."""

from __future__ import annotations

from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.ports.request_log import RequestLog


class RecordApiRequests:
    """Write a batch of the API request log, honouring objection, restriction and erasure at
    write time.

    Rules: an entry naming an account that objected to usage analytics (Art. 21), restricted
    processing (Art. 18), asked for its erasure (pending deletion) or no longer exists (purged)
    is written without its account and IP address, from the moment the choice is saved (the
    sweep only re-checks older rows); other entries are written as they are. The decision is
    taken in the very statement that inserts (:meth:`RequestLog.add_many`), so a batch flushed
    after the purge cannot bring an erased account's id or IP back. One statement per batch.
    """

    def __init__(self, request_log: RequestLog) -> None:
        self._request_log = request_log

    async def __call__(self, entries: list[RequestLogEntry]) -> None:
        await self._request_log.add_many(entries)
