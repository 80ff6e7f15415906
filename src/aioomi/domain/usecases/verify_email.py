"""VerifyEmail: the owner follows the link sent at sign-up or at an email change."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import InvalidToken, SessionPolicy, TokenPurpose, ensure_can_sign_in
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.usecases.auth_support import ClientInfo, SignedIn, open_session
from aioomi.domain.usecases.privacy_rights import record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class VerifyEmail:
    """Confirm an email address with a single-use link token, then sign the owner in.

    Rules:
    - the token works once and only before it expires; a used, expired or unknown token is
      refused the same way;
    - a sign-up token marks the account's email verified; an email-change token replaces the
      email with the new, now proven, address (refused if another account took it meanwhile);
    - following the link proves control of the mailbox, so it opens a new session.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def __call__(self, token: str, client: ClientInfo) -> SignedIn:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            used = await uow.tokens.consume(hash_token(token), TokenPurpose.VERIFY_EMAIL, now)
            if used is None:
                used = await uow.tokens.consume(hash_token(token), TokenPurpose.CHANGE_EMAIL, now)
            account = await uow.accounts.get(used.account_id) if used else None
            if used is None or account is None:
                raise InvalidToken("This link is invalid, used or expired. Ask for a new one.", field="token")
            ensure_can_sign_in(account)
            changes: dict[str, object] = {"email_verified_at": account.email_verified_at or now, "updated_at": now}
            if used.purpose is TokenPurpose.CHANGE_EMAIL and used.new_email:
                changes |= {"email": used.new_email, "email_verified_at": now}
                await record(uow, account.id, RightsAction.EMAIL_CHANGED, now)
            account = msgspec.structs.replace(account, **changes)
            await uow.accounts.update(account)
            signed_in = await open_session(uow, account, now, self._policy, client)
            await uow.commit()
        return signed_in
