"""ListWebhookEndpoints: the account's endpoints."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.webhooks import WebhookEndpoint
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ListWebhookEndpoints:
    """The caller's endpoints, oldest first (their secrets are not shown by the API)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[WebhookEndpoint]:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            return await uow.webhooks.list_endpoints(principal.workspace_id)
