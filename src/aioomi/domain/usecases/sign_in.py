"""SignInWithPassword: email and password in, a new owner session out."""

from __future__ import annotations

import msgspec

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    EmailNotVerified,
    InvalidCredentials,
    SessionPolicy,
    ensure_can_sign_in,
    normalize_email,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.usecases.auth_support import (
    ClientInfo,
    SignedIn,
    enforce,
    open_session,
    trust_device,
    trusted_device,
)
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SignInWithPassword:
    """Check the password and open a session with a new id.

    Rules:
    - a wrong email and a wrong password fail alike, in about the same time (a dummy hash is
      verified when the email is unknown), so sign-in reveals nothing about who is registered;
    - limited per IP (``abuse.SIGN_IN_PER_IP``); then, from a browser the account does not trust,
      per (account, IP) (``abuse.SIGN_IN_PER_ACCOUNT_AND_IP``) and per account
      (``abuse.SIGN_IN_PER_ACCOUNT``); from a browser whose device cookie the account trusts,
      per that device only (``abuse.SIGN_IN_PER_DEVICE``) — so strangers' wrong passwords, from
      however many IPs, cannot lock the owner's own browser out (OWASP's "device cookies");
    - a browser that signs in with the right password becomes trusted (a new device cookie);
    - only verified emails sign in; accounts being deleted do not;
    - a hash made with older parameters is replaced by one with the current parameters.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher, limiter: RateLimiter, policy: SessionPolicy
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._limiter = limiter
        self._policy = policy
        self._dummy_hash: str | None = None

    async def __call__(
        self, email: str, password: str, client: ClientInfo, device_token: str | None = None
    ) -> SignedIn:
        try:
            email = normalize_email(email)
        except InvalidInput:
            raise InvalidCredentials("Wrong email or password.") from None
        await enforce(self._limiter, abuse.SIGN_IN_PER_IP, client.ip or "-")
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.find_by_email(email)
            device = await trusted_device(uow, device_token, account, self._clock.now())
            if device is not None:
                await enforce(self._limiter, abuse.SIGN_IN_PER_DEVICE, device.id)
            else:
                await enforce(self._limiter, abuse.SIGN_IN_PER_ACCOUNT_AND_IP, f"{email} {client.ip or '-'}")
                await enforce(self._limiter, abuse.SIGN_IN_PER_ACCOUNT, email)
            if account is None or account.password_hash is None:
                if self._dummy_hash is None:
                    self._dummy_hash = await self._hasher.hash("timing equaliser, never a password")
                await self._hasher.verify(self._dummy_hash, password)
                raise InvalidCredentials("Wrong email or password.")
            stored = account.password_hash
            if not await self._hasher.verify(stored, password):
                raise InvalidCredentials("Wrong email or password.")
            ensure_can_sign_in(account)
            if not account.email_verified:
                raise EmailNotVerified("Confirm your email first: follow the link we sent, or ask for a new one.")
            now = self._clock.now()
            if self._hasher.needs_rehash(stored):
                account = msgspec.structs.replace(
                    account, password_hash=await self._hasher.hash(password), updated_at=now
                )
                await uow.accounts.update(account)
            signed_in = await open_session(uow, account, now, self._policy, client)
            if device is None:
                signed_in = msgspec.structs.replace(
                    signed_in, device_token=await trust_device(uow, account, now, self._policy)
                )
            await uow.commit()
        return signed_in
