"""ListLeads: the account's leads, filtered."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.leads import Lead
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_LEADS = 1000


class ListLeads:
    """Newest first, at most ``limit`` (1–1,000): of one agent or all, left in
    [``since``, ``until``), with a value containing ``search`` (any case)."""

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
        limit: int = 200,
    ) -> list[Lead]:
        ensure_permitted(principal, Permission.VIEW_LEADS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            return await uow.leads.list_leads(
                principal.workspace_id,
                agent_id=agent_id,
                since=since,
                until=until,
                search=(search or "").strip() or None,
                limit=max(1, min(limit, MAX_LEADS)),
            )
