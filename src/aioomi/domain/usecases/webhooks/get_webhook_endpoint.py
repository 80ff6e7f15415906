"""GetWebhookEndpoint: one endpoint with its recent delivery log."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.webhooks import WebhookAttempt, WebhookEndpoint
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.webhooks.support import find_own_endpoint
from aioomi.ports.unit_of_work import UnitOfWorkFactory

MAX_LOG = 100


class GetWebhookEndpoint:
    """The caller's endpoint (``webhook_endpoint_not_found`` for another account's) and its
    delivery log, newest first, at most ``limit`` (1–100) requests."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, principal: Principal, endpoint_id: str, *, limit: int = 50
    ) -> tuple[WebhookEndpoint, list[WebhookAttempt]]:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            endpoint = await find_own_endpoint(uow, principal, endpoint_id)
            log = await uow.webhooks.list_attempts(
                principal.workspace_id, endpoint_id, limit=max(1, min(limit, MAX_LOG))
            )
        return endpoint, log
