"""ResendVerification: a fresh confirmation link for an unverified account."""

from __future__ import annotations

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import SEND_VERIFICATION_LINK_JOB, normalize_email
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.usecases.auth_support import enforce
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ResendVerification:
    """Ask for a new verification link for an address.

    Rules:
    - the caller always sees the same outcome, and the request does the same work whatever the
      address: it enqueues a job (``SendVerificationLink``) that mails the link only to an
      unverified account, so neither timing nor a relay failure tells who is registered;
    - at most ``abuse.EMAIL_LINK_PER_ACCOUNT`` requests per address per hour.
    """

    def __init__(self, uow: UnitOfWorkFactory, limiter: RateLimiter) -> None:
        self._uow = uow
        self._limiter = limiter

    async def __call__(self, email: str) -> None:
        email = normalize_email(email)
        await enforce(self._limiter, abuse.EMAIL_LINK_PER_ACCOUNT, email)
        async with self._uow(account_id=None) as uow:
            await uow.jobs.enqueue(NewJob(kind=SEND_VERIFICATION_LINK_JOB, payload={"email": email}))
            await uow.commit()
