"""The owner's API request log over HTTP: ``GET /api/v1/request-log`` with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.request_log import RequestLogEntry, RequestLogQuery
from aioomi.domain.usecases.request_log import ListRequestLog
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.date_range import From, To, parse_range
from aioomi.entrypoints.http.problems import problems


class RequestLogOut(msgspec.Struct, frozen=True, kw_only=True):
    occurred_at: datetime
    method: str
    route: str
    """The route template (``/api/v1/widget/{public_key}/config``): no key or id from a URL."""
    status: int
    latency_ms: float
    agent_id: str | None
    ip: str | None

    @classmethod
    def of(cls, e: RequestLogEntry) -> RequestLogOut:
        return cls(
            occurred_at=e.occurred_at,
            method=e.method,
            route=e.route,
            status=e.status,
            latency_ms=e.latency_ms,
            agent_id=e.agent_id,
            ip=e.ip,
        )


class RequestLogList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[RequestLogOut]
    next_cursor: str | None = None


def log_query(
    *,
    date_from: str | None,
    date_to: str | None,
    agent_id: str | None,
    method: str | None,
    status: str | None,
    route: str | None,
    cursor: str | None,
    limit: int,
) -> RequestLogQuery:
    since, until = parse_range(date_from, date_to)
    before = None
    if cursor:
        try:
            before = datetime.fromisoformat(cursor)
        except ValueError:
            raise InvalidInput(
                "Pass back the `next_cursor` of the previous page.", code="invalid_cursor", field="cursor"
            ) from None
    status_class = None
    if status:
        if len(status) != 3 or not status[0].isdigit() or status[1:].lower() != "xx":
            raise InvalidInput("Filter by status 2xx, 3xx, 4xx or 5xx.", code="invalid_status", field="status")
        status_class = int(status[0])
    return RequestLogQuery(
        since=since,
        until=until,
        agent_id=agent_id or None,
        method=method or None,
        status_class=status_class,
        route=route or None,
        before=before,
        limit=limit,
    )


class RequestLogController(Controller):
    path = "/api/v1/request-log"
    tags = ["usage"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The account's API request log, newest first, with filters", responses=problems(401, 403))
    async def list_log(
        self,
        list_request_log: NamedDependency[ListRequestLog],
        principal: NamedDependency[Principal],
        date_from: From = None,
        date_to: To = None,
        agent_id: Annotated[
            str | None, QueryParameter(max_length=100, description="Only this agent's requests")
        ] = None,
        method: Annotated[str | None, QueryParameter(max_length=10, description="GET, POST, …")] = None,
        status: Annotated[str | None, QueryParameter(max_length=3, description="2xx, 3xx, 4xx or 5xx")] = None,
        route: Annotated[str | None, QueryParameter(max_length=300, description="A route template prefix")] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=64, description="`next_cursor` of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Entries per page (1 to 200)")] = 50,
    ) -> RequestLogList:
        query = log_query(
            date_from=date_from,
            date_to=date_to,
            agent_id=agent_id,
            method=method,
            status=status,
            route=route,
            cursor=cursor,
            limit=limit,
        )
        page = await list_request_log(principal, query)
        return RequestLogList(data=[RequestLogOut.of(e) for e in page.items], next_cursor=page.next_cursor)
