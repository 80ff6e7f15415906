"""The GetUsageReport use case."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.usage import UsageTotal, check_groups, check_range
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class GetUsageReport:
    """The owner's token usage in ``[since, until)`` grouped by day, agent and model.
    Rules: at most a year per request; days are UTC dates."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        principal: Principal,
        since: datetime,
        until: datetime,
        group_by: tuple[str, ...] = ("day", "agent", "model"),
    ) -> list[UsageTotal]:
        ensure_permitted(principal, Permission.VIEW_WORKSPACE)
        check_range(since, until)
        groups = check_groups(group_by)
        async with self._uow(account_id=principal.workspace_id) as uow:
            return await uow.usage.totals(principal.workspace_id, since, until, groups)
