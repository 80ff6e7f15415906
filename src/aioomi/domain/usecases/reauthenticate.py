"""Reauthenticate: a signed-in owner gives their password again before account security."""

from __future__ import annotations

from datetime import datetime

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import Principal, SessionRequired, WrongPassword
from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.usecases.auth_support import enforce
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class Reauthenticate:
    """Check the password of the session's owner and record the time on the session.

    Rules:
    - only a browser session can re-authenticate (an API key never reaches account security);
    - limited per session (``abuse.REAUTHENTICATE_PER_SESSION``): a stolen session cannot be
      used to guess the password;
    - an account without a password (Google only) re-authenticates by signing in with Google
      again, which opens a fresh session;
    - returns the time the confirmation was recorded; the window runs from it.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher, limiter: RateLimiter) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._limiter = limiter

    async def __call__(self, principal: Principal, password: str) -> datetime:
        if principal.session_id is None:
            raise SessionRequired("Re-authentication belongs to a signed-in browser session, not an API key.")
        await enforce(self._limiter, abuse.REAUTHENTICATE_PER_SESSION, principal.session_id)
        async with self._uow(account_id=principal.account_id) as uow:
            account = await uow.accounts.get(principal.account_id)
            if account is None:
                raise NotFound("No such account.", code="account_not_found")
            if account.password_hash is None:
                raise InvalidInput(
                    "This account signs in with Google: sign in with Google again to confirm it is you.",
                    code="reauthenticate_with_google",
                )
            if not await self._hasher.verify(account.password_hash, password):
                raise WrongPassword("The password is wrong.", field="password")
            now = self._clock.now()
            await uow.sessions.mark_authenticated(account.id, principal.session_id, now)
            await uow.commit()
        return now
