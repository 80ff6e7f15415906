"""RequestPasswordReset and ResetPassword: regaining access through the mailbox."""

from __future__ import annotations

import msgspec

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    InvalidToken,
    SessionPolicy,
    TokenPurpose,
    check_new_password,
    normalize_email,
)
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.auth_support import ClientInfo, enforce, issue_link_token
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RequestPasswordReset:
    """Mail a single-use reset link to a registered address.

    Rules:
    - the caller sees the same outcome whether or not the email is registered;
    - limited per IP and per account; a new link invalidates older ones; it expires in an hour.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, limiter: RateLimiter,
                 links: Links, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._limiter = limiter
        self._links = links
        self._policy = policy

    async def __call__(self, email: str, client: ClientInfo) -> None:
        email = normalize_email(email)
        await enforce(self._limiter, abuse.RESET_PER_IP, client.ip or "-")
        await enforce(self._limiter, abuse.RESET_PER_ACCOUNT, email)
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.find_by_email(email)
            if account is None:
                return
            token = await issue_link_token(uow, account.id, TokenPurpose.RESET_PASSWORD, now, self._policy)
            await uow.commit()
        await self._mailer.send(
            EmailMessage(
                to=email,
                kind="reset_password",
                subject="Reset your Aioomi password",
                text=(
                    f"Hello {account.full_name},\n\nSet a new password here:\n\n{self._links.reset_password(token)}\n\n"
                    "The link works once and expires in an hour. If you did not ask for it, ignore this message.\n"
                ),
            )
        )


class ResetPassword:
    """Set a new password with a reset token.

    Rules:
    - the token works once, before it expires;
    - the new password follows the password rules;
    - every session of the account is revoked (whoever had the old password is out);
    - completing a reset proves control of the mailbox, so the email counts as verified.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    async def __call__(self, token: str, new_password: str, client: ClientInfo) -> None:
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
            await uow.commit()
