"""UpdateWebhookEndpoint: change an endpoint's address, events, description, or switch it."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.webhooks import WebhookEndpoint, check_description, check_endpoint_url, check_events
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.webhooks.support import find_own_endpoint
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory
from aioomi.ports.webhooks import WebhookTransport


class UpdateWebhookEndpoint:
    """Change what is given, keep the rest.

    Rules:
    - a new address is checked as at creation (shape and SSRF guard);
    - switching an endpoint off records ``manual`` as the reason; switching it on again (also
      one the worker switched off for failing) clears the reason and the failure streak;
    - the secret is not changed here (see :class:`RotateWebhookSecret`).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, transport: WebhookTransport) -> None:
        self._uow = uow
        self._clock = clock
        self._transport = transport

    async def __call__(
        self,
        principal: Principal,
        endpoint_id: str,
        *,
        url: str | None = None,
        events: list[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        changes: dict[str, object] = {}
        if url is not None:
            checked = check_endpoint_url(url)
            await self._transport.check_url(checked)
            changes["url"] = checked
        if events is not None:
            changes["events"] = check_events(events)
        if description is not None:
            changes["description"] = check_description(description)
        async with self._uow(account_id=principal.workspace_id) as uow:
            endpoint = await find_own_endpoint(uow, principal, endpoint_id)
            if enabled is not None and enabled != endpoint.enabled:
                changes |= {"enabled": enabled, "disabled_reason": None if enabled else "manual", "failing_since": None}
            updated = msgspec.structs.replace(endpoint, **changes, updated_at=self._clock.now())
            await uow.webhooks.save_endpoint(updated)
            await uow.commit()
        return updated
