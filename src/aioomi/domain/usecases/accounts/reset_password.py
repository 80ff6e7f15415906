"""ResetPassword: Set a new password with a reset token."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import (
    InvalidToken,
    TokenPurpose,
    check_new_password,
)
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.auth_support import ClientInfo
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.unit_of_work import UnitOfWorkFactory


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

    async def __call__(
        self, token: str, new_password: str, client: ClientInfo, *, revoke_api_keys: bool = False
    ) -> None:
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
