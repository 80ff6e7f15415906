"""CancelEmailChange: the owner of the old address stops (or undoes) an email change."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Account, InvalidToken, TokenPurpose
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class EmailChangeCancelled(msgspec.Struct, frozen=True, kw_only=True):
    account: Account
    restored: bool
    sessions_revoked: int
    api_keys_revoked: int


class CancelEmailChange:
    """Follow the link mailed to the old address when an email change was asked.

    Rules:
    - the token works once, for 7 days, and a later email change does not void it;
    - the pending change's confirmation link stops working; if the change was already
      confirmed, the old address comes back (unless another account took it meanwhile);
    - every session and every API key of the account is revoked and its trusted browsers are
      forgotten: whoever asked for the change is out, and the owner resets the password next.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, token: str) -> EmailChangeCancelled:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            used = await uow.tokens.consume(hash_token(token), TokenPurpose.CANCEL_EMAIL_CHANGE, now)
            account = await uow.accounts.get(used.account_id) if used else None
            if used is None or account is None:
                raise InvalidToken("This link is invalid, used or expired.", field="token")
            await uow.tokens.invalidate(account.id, TokenPurpose.CHANGE_EMAIL, now)
            restored = False
            if used.restore_email and used.restore_email != account.email:
                candidate = msgspec.structs.replace(
                    account, email=used.restore_email, email_verified_at=now, updated_at=now
                )
                async with self._uow(account_id=None) as lookup:
                    taken = await lookup.accounts.find_by_email(used.restore_email)
                if taken is None:
                    await uow.accounts.update(candidate)
                    account, restored = candidate, True
                    await record(uow, account.id, RightsAction.EMAIL_CHANGED, now, cancelled=True)
            sessions = await uow.sessions.revoke_all(account.id, now)
            keys = await uow.api_keys.revoke_all(account.id, now)
            await uow.devices.forget_all(account.id)
            await uow.commit()
        return EmailChangeCancelled(
            account=account, restored=restored, sessions_revoked=sessions, api_keys_revoked=keys
        )
