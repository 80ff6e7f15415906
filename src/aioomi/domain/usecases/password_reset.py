"""RequestPasswordReset and ResetPassword: regaining access through the mailbox."""

from __future__ import annotations

import msgspec

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    SEND_RESET_LINK_JOB,
    InvalidToken,
    TokenPurpose,
    check_new_password,
    normalize_email,
)
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.auth_support import ClientInfo, enforce
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
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


class ResetPassword:
    """Set a new password with a reset token.

    Rules:
    - the token works once, before it expires;
    - the new password follows the password rules;
    - every session of the account is revoked (whoever had the old password is out), and the
      browsers it trusted are forgotten; every API key too when ``revoke_api_keys`` is asked
      (the reset page asks);
    - completing a reset proves control of the mailbox, so the email counts as verified.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    async def __call__(self, token: str, new_password: str, client: ClientInfo, *, revoke_api_keys: bool = False) -> None:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            used = await uow.tokens.consume(hash_token(token), TokenPurpose.RESET_PASSWORD, now)
            account = await uow.accounts.get(used.account_id) if used else None
            if used is None or account is None:
                raise InvalidToken("This link is invalid, used or expired. Ask for a new one.", field="token")
            check_new_password(new_password, email=account.email, field="new_password")
            account = msgspec.structs.replace(
                account,
                password_hash=await self._hasher.hash(new_password),
                email_verified_at=account.email_verified_at or now,
                updated_at=now,
            )
            await uow.accounts.update(account)
            await uow.sessions.revoke_all(account.id, now)
            await uow.devices.forget_all(account.id)
            if revoke_api_keys:
                await uow.api_keys.revoke_all(account.id, now)
            await uow.commit()
