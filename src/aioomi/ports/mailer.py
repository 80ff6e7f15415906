"""Sending e-mail."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.mail import EmailMessage


class Mailer(Protocol):
    """Delivers e-mail to the outside world (an SMTP relay, or a local outbox in development)."""

    async def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over for delivery; returns once the relay (or outbox) accepted it.

        Raises :class:`~aioomi.domain.model.errors.Unavailable` with ``code="mail_unavailable"``
        when it cannot be handed over (relay down, refused, timed out); retrying later may help.
        """
        ...
