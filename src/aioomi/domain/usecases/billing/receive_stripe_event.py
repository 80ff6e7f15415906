"""ReceiveStripeEvent: Accept a webhook delivery and answer fast; the worker does the rest."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.billing import (
    HANDLED_EVENTS,
    PROCESS_EVENT_JOB,
    BillingDisabled,
    EventStatus,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.ports.billing import WebhookVerifier
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ReceivedEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    type: str
    duplicate: bool
    handled: bool


class ReceiveStripeEvent:
    """Accept a webhook delivery and answer fast; the worker does the rest.

    Rules:
    - the signature is checked on the raw body (``Stripe-Signature``, 300 s tolerance);
      anything else is refused (``invalid_signature``) and nothing is stored;
    - an event is stored once, by id: a repeated delivery is acknowledged and changes nothing;
    - a handled type is stored together with its processing job, in one transaction, so an
      acknowledged event is never lost; other types are stored as ``ignored``.
    """

    def __init__(self, uow: UnitOfWorkFactory, verifier: WebhookVerifier | None, clock: Clock) -> None:
        self._uow = uow
        self._verifier = verifier
        self._clock = clock

    async def __call__(self, payload: bytes, signature: str | None) -> ReceivedEvent:
        if self._verifier is None:
            raise BillingDisabled("Stripe webhooks are not set up on this server (no STRIPE_WEBHOOK_SECRET).")
        event = self._verifier.verify(payload, signature)
        handled = event.type in HANDLED_EVENTS
        async with self._uow(account_id=None) as uow:
            stored = await uow.billing.add_event(
                event, self._clock.now(), EventStatus.RECEIVED if handled else EventStatus.IGNORED
            )
            if stored and handled:
                await uow.jobs.enqueue(
                    NewJob(
                        kind=PROCESS_EVENT_JOB,
                        payload={"event_id": event.id},
                        dedupe_key=f"stripe_event:{event.id}",
                        max_attempts=10,
                    )
                )
            await uow.commit()
        return ReceivedEvent(event_id=event.id, type=event.type, duplicate=not stored, handled=handled)
