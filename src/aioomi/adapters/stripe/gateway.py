"""The payment gateway on Stripe's API, through the official ``stripe`` SDK (async, httpx)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import stripe

from aioomi.domain.model.billing import MeterEvent, SubscriptionSnapshot, SubscriptionStatus
from aioomi.domain.model.errors import InvalidInput, NotFound, Unavailable
from aioomi.ports.billing import CheckoutRequest


def _at(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _id(value: Any) -> str:
    return value.get("id", "") if isinstance(value, dict) else str(value or "")


def snapshot_of(subscription: dict[str, Any]) -> SubscriptionSnapshot:
    """Stripe's subscription JSON in domain terms. Since API 2025-03-31 the period lives on the
    items, not the subscription; either is read."""
    items = (subscription.get("items") or {}).get("data") or []
    first = items[0] if items else {}
    return SubscriptionSnapshot(
        id=subscription["id"],
        customer_id=_id(subscription.get("customer")),
        status=SubscriptionStatus.of(str(subscription.get("status", ""))),
        price_ids=[_id(item.get("price")) for item in items],
        current_period_start=_at(subscription.get("current_period_start") or first.get("current_period_start")),
        current_period_end=_at(subscription.get("current_period_end") or first.get("current_period_end")),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        # the workspace; subscriptions made before teams name it as ``account_id`` (same id)
        account_id=(subscription.get("metadata") or {}).get("workspace_id")
        or (subscription.get("metadata") or {}).get("account_id"),
    )


class StripePaymentGateway:
    """:class:`aioomi.ports.billing.PaymentGateway` on Stripe. ``api_base`` points the SDK at
    another server (the tests' fake). SDK errors leave as domain errors: network trouble, rate
    limits and 5xx as ``Unavailable`` (``payment_provider_unavailable``), a missing object as
    ``NotFound``, a refused request as ``InvalidInput`` (``payment_provider_refused``)."""

    def __init__(
        self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2, timeout_s: float = 20.0
    ) -> None:
        self._secret_key = secret_key
        self._bases: dict[str, str] = {"api": api_base, "meter_events": api_base} if api_base else {}
        self._retries = max_network_retries
        self._timeout = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: stripe.HTTPXClient | None = None
        self._stripe: stripe.StripeClient | None = None

    @property
    def _client(self) -> stripe.StripeClient:
        # httpx's pooled connections belong to one event loop: a client per loop (in production
        # there is one; tests drive the app from a second).
        loop = asyncio.get_running_loop()
        if self._stripe is None or self._loop is not loop:
            self._loop = loop
            self._http = stripe.HTTPXClient(timeout=self._timeout)
            self._stripe = stripe.StripeClient(
                self._secret_key,
                base_addresses=self._bases,  # type: ignore[arg-type]
                http_client=self._http,
                max_network_retries=self._retries,
            )
        return self._stripe

    async def aclose(self) -> None:
        if self._http is not None and self._loop is asyncio.get_running_loop():
            await self._http.close_async()
        self._http = self._stripe = None

    async def _call(self, operation):
        try:
            return await operation
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:
                raise NotFound("Stripe has no such object.", code="payment_object_not_found") from error
            raise InvalidInput(
                f"Stripe refused the request: {error.user_message or error.code}", code="payment_provider_refused"
            ) from error
        except stripe.StripeError as error:
            raise Unavailable(
                "Stripe cannot be reached right now; retry later.", code="payment_provider_unavailable"
            ) from error

    async def create_customer(self, account_id: str, email: str) -> str:
        customer = await self._call(
            self._client.v1.customers.create_async(
                params={"email": email, "metadata": {"workspace_id": account_id, "account_id": account_id}},
                options={"idempotency_key": f"aioomi-customer-{account_id}"},
            )
        )
        return customer.id

    async def create_checkout_session(self, request: CheckoutRequest) -> str:
        items: list[dict[str, Any]] = [{"price": request.price_ids[0], "quantity": 1}]
        items += [{"price": price} for price in request.price_ids[1:]]  # metered: no quantity
        options: dict[str, Any] = {}
        if request.idempotency_key:
            options["idempotency_key"] = "aioomi-" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()
        session = await self._call(
            self._client.v1.checkout.sessions.create_async(
                params={  # type: ignore[arg-type]  # a plain dict for the SDK's TypedDict
                    "mode": "subscription",
                    "customer": request.customer_id,
                    "client_reference_id": request.account_id,
                    "line_items": items,
                    "success_url": request.success_url,
                    "cancel_url": request.cancel_url,
                    "subscription_data": {
                        "metadata": {"workspace_id": request.account_id, "account_id": request.account_id}
                    },
                },
                options=options,  # type: ignore[arg-type]
            )
        )
        return str(session.url)

    async def create_portal_session(self, customer_id: str, return_url: str) -> str:
        session = await self._call(
            self._client.v1.billing_portal.sessions.create_async(
                params={"customer": customer_id, "return_url": return_url},
            )
        )
        return str(session.url)

    async def retrieve_subscription(self, subscription_id: str) -> SubscriptionSnapshot:
        subscription = await self._call(self._client.v1.subscriptions.retrieve_async(subscription_id))
        return snapshot_of(subscription.to_dict())

    async def report_meter_event(self, event: MeterEvent, event_name: str) -> None:
        await self._call(
            self._client.v1.billing.meter_events.create_async(
                params={
                    "event_name": event_name,
                    "identifier": event.identifier,
                    "timestamp": int(event.occurred_at.timestamp()),
                    "payload": {"stripe_customer_id": event.customer_id, "value": str(event.value)},
                },
                options={"idempotency_key": event.identifier},
            )
        )

    async def cancel_subscription(self, subscription_id: str) -> None:
        await self._call(self._client.v1.subscriptions.cancel_async(subscription_id))

    async def delete_customer(self, customer_id: str) -> None:
        await self._call(self._client.v1.customers.delete_async(customer_id))
