"""The API request log (the policy's "API request logs"): one entry per HTTP request."""

from __future__ import annotations

from datetime import datetime

import msgspec


class RequestLogEntry(msgspec.Struct, frozen=True, kw_only=True):
    """``route`` is the route template (``/api/v1/widget/{public_key}/config``), never the raw
    path, so no key or id in a URL lands in the log; ``account_id`` and ``agent_id`` say whose
    the request was, when known."""

    occurred_at: datetime
    method: str
    route: str
    status: int
    latency_ms: float
    account_id: str | None = None
    agent_id: str | None = None
    ip: str | None = None


MAX_LOG_PAGE = 200


class RequestLogQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Filters over one account's request log; ``before`` is the page cursor (entries that
    occurred strictly earlier). ``status_class`` is 2, 3, 4 or 5 (2xx … 5xx)."""

    since: datetime | None = None
    until: datetime | None = None
    agent_id: str | None = None
    method: str | None = None
    status_class: int | None = None
    route: str | None = None
    """A route template prefix, such as ``/api/v1/widget``."""
    before: datetime | None = None
    limit: int = 50

    def matches(self, entry: RequestLogEntry) -> bool:
        return (
            (self.since is None or entry.occurred_at >= self.since)
            and (self.until is None or entry.occurred_at < self.until)
            and (self.before is None or entry.occurred_at < self.before)
            and (self.agent_id is None or entry.agent_id == self.agent_id)
            and (self.method is None or entry.method == self.method)
            and (self.status_class is None or entry.status // 100 == self.status_class)
            and (self.route is None or entry.route.startswith(self.route))
        )
