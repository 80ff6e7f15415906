"""ExportLeadsCsv: the account's leads as a CSV file."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.leads import csv_safe
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.leads.list_leads import MAX_LEADS
from aioomi.ports.unit_of_work import UnitOfWorkFactory

FIXED = ["id", "created_at", "agent_id", "conversation_id", "consent_text", "privacy_url"]


class ExportLeadsCsv:
    """The leads the filters select (as :class:`ListLeads`, up to 1,000 per file), one row
    each: fixed columns, then one column per field key found, in the order first seen. Every
    cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first)
    gets a leading ``'`` (formula injection)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        principal: Principal,
        *,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
    ) -> str:
        ensure_permitted(principal, Permission.MANAGE_LEADS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            leads = await uow.leads.list_leads(
                principal.workspace_id,
                agent_id=agent_id,
                since=since,
                until=until,
                search=(search or "").strip() or None,
                limit=MAX_LEADS,
            )
        keys: list[str] = []
        for lead in leads:
            keys += [k for k in lead.values if k not in keys]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(FIXED + keys)
        for lead in leads:
            fixed = [
                lead.id,
                lead.created_at.isoformat().replace("+00:00", "Z"),
                lead.agent_id,
                lead.session_id or "",
                lead.consent_text,
                lead.privacy_url or "",
            ]
            writer.writerow([csv_safe(v) for v in fixed + [lead.values.get(k, "") for k in keys]])
        return out.getvalue()
