"""The dashboard's webhooks pages: the endpoints with a form to add one, and one endpoint with
its settings, actions (switch, rotate the secret, test, delete) and delivery log."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from aioomi.domain.usecases.webhooks.get_webhook_endpoint import GetWebhookEndpoint
from aioomi.domain.usecases.webhooks.list_webhook_endpoints import ListWebhookEndpoints
from aioomi.domain.usecases.webhooks.list_webhook_event_types import ListWebhookEventTypes
from aioomi.entrypoints.http.pages import NO_STORE, PAGE_ERRORS, Owner, _page, provide_owner
from aioomi.entrypoints.http.privacy_pages import load_policy
from aioomi.entrypoints.http.schemas_webhooks import WebhookAttemptOut, WebhookEndpointOut


class WebhookPages(Controller):
    path = "/dashboard/webhooks"
    include_in_schema = False
    cache_control = NO_STORE
    dependencies = {"owner": Provide(provide_owner)}
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request
    exception_handlers = PAGE_ERRORS  # type: ignore[assignment]

    @get("/")
    async def endpoints(
        self,
        list_webhook_endpoints: NamedDependency[ListWebhookEndpoints],
        list_webhook_event_types: NamedDependency[ListWebhookEventTypes],
        owner: NamedDependency[Owner],
    ) -> Template:
        endpoints = await list_webhook_endpoints(owner.principal)
        event_types = await list_webhook_event_types()
        return _page(
            "webhooks.html",
            owner,
            endpoints=[WebhookEndpointOut.of(e) for e in endpoints],
            event_types=event_types,
            title="Webhooks",
            nav="webhooks",
        )

    @get("/{endpoint_id:str}")
    async def endpoint(
        self,
        get_webhook_endpoint: NamedDependency[GetWebhookEndpoint],
        list_webhook_event_types: NamedDependency[ListWebhookEventTypes],
        owner: NamedDependency[Owner],
        endpoint_id: FromPath[str],
    ) -> Template:
        endpoint, log = await get_webhook_endpoint(owner.principal, endpoint_id, limit=100)
        event_types = await list_webhook_event_types()
        return _page(
            "webhook.html",
            owner,
            endpoint=WebhookEndpointOut.of(endpoint),
            attempts=[WebhookAttemptOut.of(a) for a in log],
            event_types=event_types,
            title="Webhook endpoint",
            nav="webhooks",
        )
