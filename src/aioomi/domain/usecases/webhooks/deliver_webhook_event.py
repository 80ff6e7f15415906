"""DeliverWebhookEvent: the worker's side: post an event to the endpoints that wait for it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime

import msgspec

from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.webhooks import (
    ATTEMPT_PREFIX,
    DELIVER_WEBHOOK,
    JITTER,
    NOTIFY_WEBHOOK_DISABLED,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookRequest,
    WebhookResponse,
    retry_delay,
    should_disable,
)
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from aioomi.ports.webhooks import WebhookTransport


class DeliveryReport(msgspec.Struct, frozen=True, kw_only=True):
    sent: int
    delivered: int
    retrying: int
    failed: int
    disabled: int


def _uniform_jitter() -> float:
    return random.uniform(-JITTER, JITTER)  # noqa: S311 - spreading retries, not a secret


class DeliverWebhookEvent:
    """Make one request of the event to each endpoint it is due at, and record what happened.

    Rules:
    - the first job of an event serves every pending delivery not tried yet; a retry job serves
      one endpoint and only its ``attempt``-th request (a job that lost a race with a
      redelivery, or finds the delivery settled or the endpoint gone, does nothing);
    - every request is signed with the endpoint's current secret and carries the event's id as
      ``webhook-id`` (the same on every retry) and the body built from the stored event;
    - requests are made outside any transaction; each is logged (status, latency, excerpt);
    - a 2xx answer delivers (and ends the endpoint's failure streak); anything else (other
      status, redirect, timeout, refused address) schedules the next request after
      :func:`retry_delay` with jitter, and after the last one the delivery fails;
    - a delivery that fails on an endpoint with nothing successful for ``DISABLE_AFTER``
      switches the endpoint off (reason ``failing``) and queues an e-mail to the owner;
    - a switched-off endpoint receives nothing but test events; its due deliveries fail.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        transport: WebhookTransport,
        jitter: Callable[[], float] = _uniform_jitter,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._transport = transport
        self._jitter = jitter

    async def __call__(
        self, account_id: str, event_id: str, endpoint_id: str | None = None, attempt: int = 1, manual: bool = False
    ) -> DeliveryReport:
        async with self._uow(account_id=account_id) as uow:
            event = await uow.webhooks.get_event(account_id, event_id)
            if event is None:
                return DeliveryReport(sent=0, delivered=0, retrying=0, failed=0, disabled=0)
            if endpoint_id is None:
                due = [d for d in await uow.webhooks.pending_deliveries(account_id, event_id) if d.attempts == 0]
            else:
                found = await uow.webhooks.get_delivery(account_id, event_id, endpoint_id)
                due = [found] if found is not None and self._due(found, attempt) else []
            targets: list[tuple[WebhookDelivery, WebhookEndpoint]] = []
            for delivery in due:
                endpoint = await uow.webhooks.get_endpoint(account_id, delivery.endpoint_id)
                if endpoint is not None:
                    targets.append((delivery, endpoint))
        now = self._clock.now()
        body = msgspec.json.encode(event.payload())
        live = [e.enabled or event.only_endpoint_id == e.id for _, e in targets]
        sent = await asyncio.gather(
            *(
                self._transport.send(
                    WebhookRequest(url=e.url, secret=e.secret, message_id=event.id, timestamp=now, body=body)
                )
                for (_, e), on in zip(targets, live, strict=True)
                if on
            )
        )
        answers = iter(sent)
        responses = [next(answers) if on else None for on in live]
        counts = {"sent": len(sent), "delivered": 0, "retrying": 0, "failed": 0, "disabled": 0}
        async with self._uow(account_id=account_id) as uow:
            for (delivery, endpoint), response in zip(targets, responses, strict=True):
                current = await uow.webhooks.get_delivery(account_id, event_id, endpoint.id, for_update=True)
                if (
                    current is None
                    or current.attempts != delivery.attempts
                    or current.status is not DeliveryStatus.PENDING
                ):
                    continue  # settled or taken by another job meanwhile
                if response is None:  # the endpoint is switched off
                    await uow.webhooks.save_delivery(
                        msgspec.structs.replace(
                            current, status=DeliveryStatus.FAILED, next_attempt_at=None, updated_at=now
                        )
                    )
                    counts["failed"] += 1
                    continue
                outcome = await self._record(uow, event, current, response, now, manual)
                counts[outcome] += 1
                if outcome == "failed" and await self._maybe_disable(uow, account_id, endpoint.id, now):
                    counts["disabled"] += 1
            await uow.commit()
        return DeliveryReport(**counts)

    @staticmethod
    def _due(delivery: WebhookDelivery, attempt: int) -> bool:
        return delivery.status is DeliveryStatus.PENDING and delivery.attempts == attempt - 1

    async def _record(
        self,
        uow: UnitOfWork,
        event: WebhookEvent,
        delivery: WebhookDelivery,
        response: WebhookResponse,
        now: datetime,
        manual: bool,
    ) -> str:
        number = delivery.attempts + 1
        await uow.webhooks.add_attempt(
            WebhookAttempt(
                id=new_id(ATTEMPT_PREFIX),
                account_id=event.account_id,
                endpoint_id=delivery.endpoint_id,
                event_id=event.id,
                event_type=event.type,
                number=number,
                attempted_at=now,
                status_code=response.status_code,
                latency_ms=response.latency_ms,
                response_excerpt=response.excerpt,
                error=response.error,
                succeeded=response.succeeded,
                manual=manual,
            )
        )
        endpoint = await uow.webhooks.get_endpoint(event.account_id, delivery.endpoint_id)
        if response.succeeded:
            await uow.webhooks.save_delivery(
                msgspec.structs.replace(
                    delivery, status=DeliveryStatus.DELIVERED, attempts=number, next_attempt_at=None, updated_at=now
                )
            )
            if endpoint is not None and endpoint.failing_since is not None:
                await uow.webhooks.save_endpoint(msgspec.structs.replace(endpoint, failing_since=None))
            return "delivered"
        if endpoint is not None and endpoint.failing_since is None:
            await uow.webhooks.save_endpoint(msgspec.structs.replace(endpoint, failing_since=now))
        delay = retry_delay(number, self._jitter())
        if delay is None:
            await uow.webhooks.save_delivery(
                msgspec.structs.replace(
                    delivery, status=DeliveryStatus.FAILED, attempts=number, next_attempt_at=None, updated_at=now
                )
            )
            return "failed"
        due = now + delay
        await uow.webhooks.save_delivery(
            msgspec.structs.replace(delivery, attempts=number, next_attempt_at=due, updated_at=now)
        )
        await uow.jobs.enqueue(
            NewJob(
                kind=DELIVER_WEBHOOK,
                run_at=due,
                payload={
                    "account_id": event.account_id,
                    "event_id": event.id,
                    "endpoint_id": delivery.endpoint_id,
                    "attempt": number + 1,
                },
            )
        )
        return "retrying"

    async def _maybe_disable(self, uow: UnitOfWork, account_id: str, endpoint_id: str, now: datetime) -> bool:
        endpoint = await uow.webhooks.get_endpoint(account_id, endpoint_id)
        if endpoint is None or not should_disable(endpoint, now):
            return False
        await uow.webhooks.save_endpoint(
            msgspec.structs.replace(endpoint, enabled=False, disabled_reason="failing", updated_at=now)
        )
        await uow.jobs.enqueue(
            NewJob(
                kind=NOTIFY_WEBHOOK_DISABLED,
                payload={"account_id": account_id, "endpoint_id": endpoint_id},
                dedupe_key=f"{NOTIFY_WEBHOOK_DISABLED}:{endpoint_id}:{now.isoformat()}",
            )
        )
        return True
