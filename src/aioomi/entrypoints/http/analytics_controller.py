"""The owner's analytics over HTTP (``/api/v1/analytics``): JSON and a CSV download."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.analytics import AnalyticsReport, DayCounts
from aioomi.domain.usecases.analytics.export_analytics_csv import ExportAnalyticsCsv
from aioomi.domain.usecases.analytics.get_analytics import GetAnalytics
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems

AgentFilter = Annotated[str | None, QueryParameter(name="agent_id", max_length=100, description="One agent only")]
FirstDay = Annotated[
    str | None, QueryParameter(name="from", max_length=10, description="From this UTC day (YYYY-MM-DD), inclusive")
]
LastDay = Annotated[
    str | None, QueryParameter(name="to", max_length=10, description="To this UTC day (YYYY-MM-DD), inclusive")
]
Table = Annotated[str, QueryParameter(max_length=20, description="`days` (default), `documents` or `groups`")]


class CitedDocumentOut(msgspec.Struct, frozen=True, kw_only=True):
    document_id: str
    title: str
    answers: int


class TopGroupOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    label: str
    count: int
    last_seen: datetime


class AnalyticsOut(msgspec.Struct, frozen=True, kw_only=True):
    agent_id: str | None
    first_day: date
    last_day: date
    days: list[DayCounts]
    totals: DayCounts
    answered_rate: float | None
    thumbs_up_ratio: float | None
    top_documents: list[CitedDocumentOut]
    top_groups: list[TopGroupOut]

    @classmethod
    def of(cls, r: AnalyticsReport) -> AnalyticsOut:
        return cls(
            agent_id=r.agent_id,
            first_day=r.range.first_day,
            last_day=r.range.last_day,
            days=r.days,
            totals=r.totals,
            answered_rate=r.answered_rate,
            thumbs_up_ratio=r.thumbs_up_ratio,
            top_documents=[msgspec.convert(msgspec.to_builtins(d), CitedDocumentOut) for d in r.top_documents],
            top_groups=[
                TopGroupOut(id=g.id, agent_id=g.agent_id, label=g.label, count=g.count, last_seen=g.last_seen)
                for g in r.top_groups
            ],
        )


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/",
        summary="Per-day conversations, answers, votes, curated hits; top documents and groups",
        responses=problems(401, 403, 404, 422),
    )
    async def analytics(
        self,
        get_analytics: NamedDependency[GetAnalytics],
        principal: NamedDependency[Principal],
        agent_id: AgentFilter = None,
        first_day: FirstDay = None,
        last_day: LastDay = None,
    ) -> AnalyticsOut:
        found = await get_analytics(principal, agent_id=agent_id, first_day=first_day, last_day=last_day)
        return AnalyticsOut.of(found)

    @get(
        "/export",
        summary="The analytics as a CSV file (one table: days, documents or groups)",
        media_type="text/csv",
        responses=problems(401, 403, 404, 422),
    )
    async def export(
        self,
        export_analytics_csv: NamedDependency[ExportAnalyticsCsv],
        principal: NamedDependency[Principal],
        agent_id: AgentFilter = None,
        first_day: FirstDay = None,
        last_day: LastDay = None,
        table: Table = "days",
    ) -> Response[str]:
        text = await export_analytics_csv(
            principal, table=table, agent_id=agent_id, first_day=first_day, last_day=last_day
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="analytics-{table}.csv"'},
        )
