"""SendPasswordResetLink: the worker's half of a password reset request."""

from __future__ import annotations

from aioomi.domain.model.accounts import SessionPolicy, TokenPurpose
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.auth_support import issue_link_token
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SendPasswordResetLink:
    """Mail a reset link if ``email`` is registered (run as the ``accounts.send_reset_link`` job).

    Rules:
    - an unknown address gets nothing, and nobody learns it;
    - a new link invalidates older ones; it expires in an hour;
    - the link's token is stored (hashed) before the mail leaves; if the relay fails, the job
      fails and its retry issues a fresh link.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, links: Links, policy: SessionPolicy
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._links = links
        self._policy = policy

    async def __call__(self, email: str) -> bool:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.find_by_email(email)
            if account is None:
                return False
            token = await issue_link_token(uow, account.id, TokenPurpose.RESET_PASSWORD, now, self._policy)
            await uow.commit()
        await self._mailer.send(
            EmailMessage(
                to=account.email,
                kind="reset_password",
                subject="Reset your Aioomi password",
                text=(
                    f"Hello {account.full_name},\n\nSet a new password here:\n\n{self._links.reset_password(token)}\n\n"
                    "The link works once and expires in an hour. If you did not ask for it, ignore this message.\n"
                ),
            )
        )
        return True
