"""ListApiKeys: The account's live keys (metadata only), newest first."""

from __future__ import annotations

from aioomi.domain.model.accounts import ApiKey, Principal
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListApiKeys:
    """The account's live keys (metadata only), newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[ApiKey]:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            return await uow.api_keys.list(principal.workspace_id)
