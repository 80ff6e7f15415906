"""DeleteWebhookEndpoint: remove an endpoint with its deliveries and log."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.webhooks import WebhookEndpointNotFound
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DeleteWebhookEndpoint:
    """Delete the caller's endpoint; its pending deliveries stop (their jobs find nothing)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, endpoint_id: str) -> None:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            if not await uow.webhooks.delete_endpoint(principal.workspace_id, endpoint_id):
                raise WebhookEndpointNotFound("No such webhook endpoint.")
            await uow.commit()
