"""ListWebhookEventTypes: the events an endpoint may subscribe to."""

from __future__ import annotations

from aioomi.domain.model.webhooks import EVENT_TYPES


class ListWebhookEventTypes:
    """Every event type an endpoint may ask for, in the catalogue's order."""

    async def __call__(self) -> tuple[str, ...]:
        return EVENT_TYPES
