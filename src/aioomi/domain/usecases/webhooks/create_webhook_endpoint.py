"""CreateWebhookEndpoint: register an address that receives the account's events."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.webhooks import (
    ENDPOINT_PREFIX,
    MAX_ENDPOINTS,
    TooManyWebhookEndpoints,
    WebhookEndpoint,
    check_description,
    check_endpoint_url,
    check_events,
    new_secret,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory
from aioomi.ports.webhooks import WebhookTransport


class CreateWebhookEndpoint:
    """Add an endpoint and return it with its signing secret (the only time it is shown,
    besides a rotation).

    Rules:
    - the address is http(s), without credentials or fragment, and every address its host
      resolves to passes the SSRF guard now (``url_not_allowed``); it is checked again at
      every delivery, pinned to the address checked;
    - at least one known event type (``invalid_webhook_endpoint``);
    - at most :data:`MAX_ENDPOINTS` per account (``too_many_webhook_endpoints``);
    - the secret is made here (``whsec_`` + 32 random bytes), never chosen by the caller.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, transport: WebhookTransport) -> None:
        self._uow = uow
        self._clock = clock
        self._transport = transport

    async def __call__(
        self, principal: Principal, *, url: str, events: list[str], description: str = ""
    ) -> WebhookEndpoint:
        ensure_permitted(principal, Permission.MANAGE_INTEGRATIONS)
        url = check_endpoint_url(url)
        wanted = check_events(events)
        description = check_description(description)
        await self._transport.check_url(url)
        now = self._clock.now()
        endpoint = WebhookEndpoint(
            id=new_id(ENDPOINT_PREFIX),
            account_id=principal.workspace_id,
            url=url,
            events=wanted,
            secret=new_secret(),
            description=description,
            created_at=now,
            updated_at=now,
        )
        async with self._uow(account_id=principal.workspace_id) as uow:
            if len(await uow.webhooks.list_endpoints(principal.workspace_id)) >= MAX_ENDPOINTS:
                raise TooManyWebhookEndpoints(f"An account has at most {MAX_ENDPOINTS} webhook endpoints.")
            await uow.webhooks.add_endpoint(endpoint)
            await uow.commit()
        return endpoint
