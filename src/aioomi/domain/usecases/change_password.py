"""ChangePassword: a signed-in owner sets a new password."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import InvalidCredentials, Principal, check_new_password
from aioomi.domain.model.errors import NotFound
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ChangePassword:
    """Replace the password after checking the current one.

    Rules:
    - the current password is required when the account has one (a Google-only account may
      add a password without it);
    - every other session is revoked; the caller's own session stays;
    - every API key is revoked too when ``revoke_api_keys`` is asked (a key that leaked with the
      old password would otherwise outlive it).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    async def __call__(
        self, principal: Principal, current_password: str | None, new_password: str, *, revoke_api_keys: bool = False
    ) -> None:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await uow.accounts.get(principal.account_id)
            if account is None:
                raise NotFound("No such account.", code="account_not_found")
            if account.password_hash is not None and not (
                current_password and await self._hasher.verify(account.password_hash, current_password)
            ):
                raise InvalidCredentials("The current password is wrong.")
            check_new_password(new_password, email=account.email, field="new_password")
            account = msgspec.structs.replace(
                account, password_hash=await self._hasher.hash(new_password), updated_at=now
            )
            await uow.accounts.update(account)
            await uow.sessions.revoke_all(account.id, now, keep=principal.session_id)
            await uow.commit()
        if revoke_api_keys:
            async with self._uow(account_id=None) as uow:  # the keys they made in any workspace
                await uow.api_keys.revoke_all(account.id, now)
                await uow.commit()
