"""ListRequestLog: the owner reads their API request log, filtered and a page at a time."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.pagination import Page
from aioomi.domain.model.request_log import MAX_LOG_PAGE, RequestLogEntry, RequestLogQuery
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.request_log import RequestLog

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ListRequestLog:
    """The caller's request log, newest first.

    Rules: only the caller's account's entries (each entry names its account); ``limit`` is
    1–200; ``status_class`` 2–5 (2xx … 5xx); ``method`` one of the HTTP methods; the next page
    starts strictly before the last entry's time (``next_cursor``, its RFC 3339 time).
    """

    def __init__(self, request_log: RequestLog) -> None:
        self._log = request_log

    async def __call__(self, principal: Principal, query: RequestLogQuery) -> Page[RequestLogEntry]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        if not 1 <= query.limit <= MAX_LOG_PAGE:
            raise InvalidInput(f"Ask for 1 to {MAX_LOG_PAGE} entries.", code="invalid_limit", field="limit")
        if query.status_class is not None and query.status_class not in (2, 3, 4, 5):
            raise InvalidInput("Filter by status 2xx, 3xx, 4xx or 5xx.", code="invalid_status", field="status")
        if query.method is not None and query.method.upper() not in _METHODS:
            raise InvalidInput("Filter by an HTTP method such as GET or POST.", code="invalid_method", field="method")
        if query.method is not None:
            query = msgspec.structs.replace(query, method=query.method.upper())
        entries = await self._log.search(principal.workspace_id, query)
        cursor = entries[-1].occurred_at.isoformat() if len(entries) == query.limit else None
        return Page(items=entries, next_cursor=cursor)
