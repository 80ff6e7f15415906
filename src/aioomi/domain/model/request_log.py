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
