"""ListAuditLog: Every rights action of the account, newest first."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.privacy import (
    AuditEvent,
)
from aioomi.ports.unit_of_work import UnitOfWorkFactory

AUDIT_PAGE = 200


class ListAuditLog:
    """Every rights action of the account, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, limit: int = AUDIT_PAGE) -> list[AuditEvent]:
        async with self._uow(account_id=principal.account_id) as uow:
            return await uow.privacy.list_events(principal.account_id, min(max(limit, 1), AUDIT_PAGE))
