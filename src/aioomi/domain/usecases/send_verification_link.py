"""SendVerificationLink: the worker's half of a request for a new verification link."""

from __future__ import annotations

from aioomi.domain.model.accounts import SessionPolicy, TokenPurpose
from aioomi.domain.model.links import Links
from aioomi.domain.usecases.auth_support import issue_link_token, verification_email
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SendVerificationLink:
    """Mail a new verification link if ``email`` belongs to an unverified account (run as the
    ``accounts.send_verification_link`` job).

    Rules:
    - a verified or unknown address gets nothing;
    - a new link invalidates the previous ones; the token is stored before the mail leaves.
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
            if account is None or account.email_verified:
                return False
            token = await issue_link_token(uow, account.id, TokenPurpose.VERIFY_EMAIL, now, self._policy)
            await uow.commit()
        await self._mailer.send(verification_email(account.email, account.full_name, token, self._links, self._policy))
        return True
