"""ResendVerification: a fresh confirmation link for an unverified account."""

from __future__ import annotations

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import SessionPolicy, TokenPurpose, normalize_email
from aioomi.domain.model.links import Links
from aioomi.domain.usecases.auth_support import enforce, issue_link_token, verification_email
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ResendVerification:
    """Send a new verification link if the email belongs to an unverified account.

    Rules:
    - the caller always sees the same outcome (no account enumeration);
    - a new link invalidates the previous ones; at most ``abuse.EMAIL_LINK_PER_ACCOUNT`` per hour.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, limiter: RateLimiter,
                 links: Links, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._limiter = limiter
        self._links = links
        self._policy = policy

    async def __call__(self, email: str) -> None:
        email = normalize_email(email)
        await enforce(self._limiter, abuse.EMAIL_LINK_PER_ACCOUNT, email)
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.find_by_email(email)
            if account is None or account.email_verified:
                return
            token = await issue_link_token(uow, account.id, TokenPurpose.VERIFY_EMAIL, now, self._policy)
            await uow.commit()
        await self._mailer.send(verification_email(email, account.full_name, token, self._links, self._policy))
