"""RotateWebhookSecret: give an endpoint a new signing secret."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.webhooks import WebhookEndpoint, new_secret
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.webhooks.support import find_own_endpoint
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RotateWebhookSecret:
    """Replace the secret at once and return the endpoint with the new one (shown this once).
    Requests sent from then on, retries included, are signed with the new secret."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        async with self._uow(account_id=principal.workspace_id) as uow:
            endpoint = await find_own_endpoint(uow, principal, endpoint_id)
            rotated = msgspec.structs.replace(endpoint, secret=new_secret(), updated_at=self._clock.now())
            await uow.webhooks.save_endpoint(rotated)
            await uow.commit()
        return rotated
