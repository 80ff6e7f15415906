"""RequestPasswordReset: Ask for a single-use reset link to be mailed."""

from __future__ import annotations

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    SEND_RESET_LINK_JOB,
    normalize_email,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.usecases.auth_support import ClientInfo, enforce
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RequestPasswordReset:
    """Ask for a single-use reset link to be mailed.

    Rules:
    - the caller sees the same outcome whether or not the email is registered, and the request
      does the same work either way: it only enqueues a job (in its unit of work) that looks the
      address up and mails the link (``SendPasswordResetLink``), so neither the time taken nor a
      mail relay's failure tells who is registered;
    - limited per IP and per address.
    """

    def __init__(self, uow: UnitOfWorkFactory, limiter: RateLimiter) -> None:
        self._uow = uow
        self._limiter = limiter

    async def __call__(self, email: str, client: ClientInfo) -> None:
        email = normalize_email(email)
        await enforce(self._limiter, abuse.RESET_PER_IP, client.ip or "-")
        await enforce(self._limiter, abuse.RESET_PER_ACCOUNT, email)
        async with self._uow(account_id=None) as uow:
            await uow.jobs.enqueue(NewJob(kind=SEND_RESET_LINK_JOB, payload={"email": email}))
            await uow.commit()
