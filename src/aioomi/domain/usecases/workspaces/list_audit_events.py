"""The ListAuditEvents use case."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.workspaces import AuditEvent, Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_AUDIT_EVENTS = 200


class ListAuditEvents:
    """Which member did what in the workspace, newest first (at most ``limit``, capped at
    ``MAX_AUDIT_EVENTS``). Rules: the caller manages members."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, limit: int = 50) -> list[AuditEvent]:
        ensure_permitted(principal, Permission.MANAGE_MEMBERS)
        async with self._uow(account_id=principal.workspace_id, read_only=True) as uow:
            return await uow.workspaces.audit_events(principal.workspace_id, max(1, min(limit, MAX_AUDIT_EVENTS)))
