"""A mailer that keeps what it was given: tests read ``sent``."""

from __future__ import annotations

from aioomi.domain.model.errors import Unavailable
from aioomi.domain.model.mail import EmailMessage


class InMemoryMailer:
    """See :class:`aioomi.ports.mailer.Mailer`. Set ``failing`` to make ``send`` raise
    ``Unavailable`` as a relay outage would (nothing is kept then)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failing = False

    async def send(self, message: EmailMessage) -> None:
        if self.failing:
            raise Unavailable("The mail relay is unavailable.", code="mail_unavailable")
        self.sent.append(message)
