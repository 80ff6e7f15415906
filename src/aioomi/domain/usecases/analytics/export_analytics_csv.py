"""The owner downloads the analytics as a CSV file."""

from __future__ import annotations

import csv
import enum
import io

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.analytics import DayCounts
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.leads import csv_safe
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.analytics.get_analytics import GetAnalytics

DAY_COLUMNS = [f for f in DayCounts.__struct_fields__]


class AnalyticsTable(enum.StrEnum):
    DAYS = "days"
    DOCUMENTS = "documents"
    GROUPS = "groups"


class ExportAnalyticsCsv:
    """One table of :class:`GetAnalytics` (the same range, agent and rules) as CSV.

    Rules:
    - ``days`` (the default): one row per day of the range, zeros included, columns as
      :class:`~aioomi.domain.model.analytics.DayCounts`; ``documents``: the most-cited
      documents (``document_id``, ``title``, ``answers``); ``groups``: the top question groups
      (``id``, ``agent_id``, ``label``, ``count``, ``last_seen``); another name →
      ``invalid_analytics_table``;
    - every cell a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR
      first) gets a leading ``'`` (titles and labels come from documents and visitors).
    """

    def __init__(self, get_analytics: GetAnalytics) -> None:
        self._get = get_analytics

    async def __call__(
        self,
        principal: Principal,
        *,
        table: str = AnalyticsTable.DAYS,
        agent_id: str | None = None,
        first_day: str | None = None,
        last_day: str | None = None,
    ) -> str:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        try:
            which = AnalyticsTable(table)
        except ValueError:
            raise InvalidInput(
                "`table` is days, documents or groups.", code="invalid_analytics_table", field="table"
            ) from None
        found = await self._get(principal, agent_id=agent_id, first_day=first_day, last_day=last_day)
        rows: list[list[object]]
        if which is AnalyticsTable.DAYS:
            header = DAY_COLUMNS
            rows = [[getattr(d, f) for f in DAY_COLUMNS] for d in found.days]
        elif which is AnalyticsTable.DOCUMENTS:
            header = ["document_id", "title", "answers"]
            rows = [[d.document_id, d.title, d.answers] for d in found.top_documents]
        else:
            header = ["id", "agent_id", "label", "count", "last_seen"]
            rows = [
                [g.id, g.agent_id, g.label, g.count, g.last_seen.isoformat().replace("+00:00", "Z")]
                for g in found.top_groups
            ]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_safe(str(cell)) for cell in row])
        return out.getvalue()
