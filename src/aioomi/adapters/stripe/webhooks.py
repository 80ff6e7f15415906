"""Stripe webhook verification, offline, with the SDK's own signature check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import stripe

from aioomi.domain.model.billing import InvalidWebhook, WebhookEvent

TOLERANCE_S = 300


class StripeWebhookVerifier:
    """:class:`aioomi.ports.billing.WebhookVerifier`: ``Stripe-Signature`` (HMAC-SHA256 of
    ``timestamp.body`` with the endpoint's secret) checked on the raw body, at most
    ``tolerance_s`` old."""

    def __init__(self, secret: str, tolerance_s: int = TOLERANCE_S) -> None:
        self._secret = secret
        self._tolerance = tolerance_s

    def verify(self, payload: bytes, signature: str | None) -> WebhookEvent:
        if not signature:
            raise InvalidWebhook("The Stripe-Signature header is missing.")
        try:
            stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, self._secret, self._tolerance)
            body = json.loads(payload)
            return WebhookEvent(
                id=str(body["id"]),
                type=str(body["type"]),
                created=datetime.fromtimestamp(int(body["created"]), UTC),
                data=dict(body["data"]["object"]),
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"The signature does not verify: {error.user_message or error}") from None
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise InvalidWebhook("The body is not a Stripe event.") from None
