"""Outbound webhook endpoints over HTTP: create, list, read with the delivery log, change,
delete, rotate the secret, send a test event, redeliver an event. Browser sessions only (an
API key cannot manage where the account's data is sent)."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET

from aioomi.domain.model.accounts import Principal
from aioomi.domain.usecases.webhooks.create_webhook_endpoint import CreateWebhookEndpoint
from aioomi.domain.usecases.webhooks.delete_webhook_endpoint import DeleteWebhookEndpoint
from aioomi.domain.usecases.webhooks.get_webhook_endpoint import GetWebhookEndpoint
from aioomi.domain.usecases.webhooks.list_webhook_endpoints import ListWebhookEndpoints
from aioomi.domain.usecases.webhooks.list_webhook_event_types import ListWebhookEventTypes
from aioomi.domain.usecases.webhooks.redeliver_webhook import RedeliverWebhook
from aioomi.domain.usecases.webhooks.rotate_webhook_secret import RotateWebhookSecret
from aioomi.domain.usecases.webhooks.send_test_webhook import SendTestWebhook
from aioomi.domain.usecases.webhooks.update_webhook_endpoint import UpdateWebhookEndpoint
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.problems import problems
from aioomi.entrypoints.http.schemas_webhooks import (
    WebhookAttemptList,
    WebhookAttemptOut,
    WebhookDeliveryOut,
    WebhookEndpointIn,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookEventTypes,
    WebhookTestOut,
)


class WebhookEndpointController(Controller):
    path = "/api/v1/webhook-endpoints"
    tags = ["webhooks"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", summary="The account's webhook endpoints (without their secrets)", responses=problems(401, 403))
    async def list_endpoints(
        self, list_webhook_endpoints: NamedDependency[ListWebhookEndpoints], principal: NamedDependency[Principal]
    ) -> WebhookEndpointList:
        endpoints = await list_webhook_endpoints(principal)
        return WebhookEndpointList(data=[WebhookEndpointOut.of(e) for e in endpoints])

    @get("/event-types", summary="The event types an endpoint may subscribe to", responses=problems(401, 403))
    async def event_types(
        self, list_webhook_event_types: NamedDependency[ListWebhookEventTypes], principal: NamedDependency[Principal]
    ) -> WebhookEventTypes:
        return WebhookEventTypes(data=list(await list_webhook_event_types()))

    @post(
        "/",
        status_code=201,
        summary="Add an endpoint; its signing secret is in the answer, this once",
        responses=problems(400, 401, 403, 409, 422),
    )
    async def create_endpoint(
        self,
        create_webhook_endpoint: NamedDependency[CreateWebhookEndpoint],
        principal: NamedDependency[Principal],
        data: JSONBody[WebhookEndpointIn],
    ) -> Response[WebhookEndpointWithSecret]:
        endpoint = await create_webhook_endpoint(
            principal, url=data.url, events=data.events, description=data.description
        )
        return Response(
            WebhookEndpointWithSecret.with_secret(endpoint),
            status_code=201,
            headers={"Location": f"/api/v1/webhook-endpoints/{endpoint.id}"},
        )

    @get("/{endpoint_id:str}", summary="One endpoint", responses=problems(401, 403, 404))
    async def get_endpoint(
        self,
        get_webhook_endpoint: NamedDependency[GetWebhookEndpoint],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
    ) -> WebhookEndpointOut:
        endpoint, _ = await get_webhook_endpoint(principal, endpoint_id, limit=1)
        return WebhookEndpointOut.of(endpoint)

    @get(
        "/{endpoint_id:str}/attempts",
        summary="The endpoint's delivery log, newest first",
        responses=problems(400, 401, 403, 404),
    )
    async def list_attempts(
        self,
        get_webhook_endpoint: NamedDependency[GetWebhookEndpoint],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
        limit: FromQuery[int] = 50,
    ) -> WebhookAttemptList:
        _, log = await get_webhook_endpoint(principal, endpoint_id, limit=limit)
        return WebhookAttemptList(data=[WebhookAttemptOut.of(a) for a in log])

    @patch(
        "/{endpoint_id:str}",
        summary="Change an endpoint's address, events or description, or switch it",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def update_endpoint(
        self,
        update_webhook_endpoint: NamedDependency[UpdateWebhookEndpoint],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
        data: JSONBody[WebhookEndpointUpdate],
    ) -> WebhookEndpointOut:
        return WebhookEndpointOut.of(
            await update_webhook_endpoint(
                principal,
                endpoint_id,
                url=None if data.url is UNSET else data.url,
                events=None if data.events is UNSET else data.events,
                description=None if data.description is UNSET else data.description,
                enabled=None if data.enabled is UNSET else data.enabled,
            )
        )

    @delete(
        "/{endpoint_id:str}",
        status_code=204,
        summary="Delete an endpoint with its delivery log",
        responses=problems(401, 403, 404),
    )
    async def delete_endpoint(
        self,
        delete_webhook_endpoint: NamedDependency[DeleteWebhookEndpoint],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
    ) -> None:
        await delete_webhook_endpoint(principal, endpoint_id)

    @post(
        "/{endpoint_id:str}/rotate-secret",
        status_code=200,
        summary="Replace the signing secret; the new one is in the answer, this once",
        responses=problems(401, 403, 404),
    )
    async def rotate_secret(
        self,
        rotate_webhook_secret: NamedDependency[RotateWebhookSecret],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
    ) -> WebhookEndpointWithSecret:
        return WebhookEndpointWithSecret.with_secret(await rotate_webhook_secret(principal, endpoint_id))

    @post(
        "/{endpoint_id:str}/test",
        status_code=202,
        summary="Queue a `webhook.test` event to this endpoint",
        responses=problems(401, 403, 404),
    )
    async def send_test(
        self,
        send_test_webhook: NamedDependency[SendTestWebhook],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
    ) -> Response[WebhookTestOut]:
        event_id = await send_test_webhook(principal, endpoint_id)
        return Response(WebhookTestOut(event_id=event_id), status_code=202)

    @post(
        "/{endpoint_id:str}/events/{event_id:str}/redeliver",
        status_code=202,
        summary="Send an event to this endpoint again now (same webhook-id)",
        responses=problems(401, 403, 404),
    )
    async def redeliver(
        self,
        redeliver_webhook: NamedDependency[RedeliverWebhook],
        principal: NamedDependency[Principal],
        endpoint_id: FromPath[str],
        event_id: FromPath[str],
    ) -> Response[WebhookDeliveryOut]:
        delivery = await redeliver_webhook(principal, endpoint_id, event_id)
        return Response(WebhookDeliveryOut.of(delivery), status_code=202)
