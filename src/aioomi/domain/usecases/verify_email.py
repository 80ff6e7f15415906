"""VerifyEmail: the owner follows the link sent at sign-up or at an email change."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import (
    Account,
    InvalidToken,
    SessionPolicy,
    SignedInAsAnotherOwner,
    TokenPurpose,
    ensure_can_sign_in,
)
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.auth_support import ClientInfo, SignedIn, open_session
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class EmailConfirmed(msgspec.Struct, frozen=True, kw_only=True):
    """The confirmed account; ``signed_in`` only for a sign-up link."""

    account: Account
    signed_in: SignedIn | None = None


class VerifyEmail:
    """Confirm an email address with a single-use link token.

    Rules:
    - the token works once and only before it expires; a used, expired or unknown token is
      refused the same way;
    - refused while another owner is signed in in the same browser (``signed_in_as``): a link
      someone else sent cannot swap the browser's account (login CSRF);
    - a sign-up token marks the account's email verified and, since following it proves control
      of the mailbox of a fresh account, opens a session;
    - an email-change token replaces the email with the new, now proven, address (refused if
      another account took it meanwhile) and opens no session: the mailbox of the new address
      is not a way into the account.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def __call__(self, token: str, client: ClientInfo, signed_in_as: str | None = None) -> EmailConfirmed:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            used = await uow.tokens.consume(hash_token(token), TokenPurpose.VERIFY_EMAIL, now)
            if used is None:
                used = await uow.tokens.consume(hash_token(token), TokenPurpose.CHANGE_EMAIL, now)
            account = await uow.accounts.get(used.account_id) if used else None
            if used is None or account is None:
                raise InvalidToken("This link is invalid, used or expired. Ask for a new one.", field="token")
            if signed_in_as is not None and signed_in_as != account.id:
                raise SignedInAsAnotherOwner(
                    "Another owner is signed in in this browser: sign out first, then follow the link again."
                )
            ensure_can_sign_in(account)
            changes: dict[str, object] = {"email_verified_at": account.email_verified_at or now, "updated_at": now}
            changing = used.purpose is TokenPurpose.CHANGE_EMAIL and used.new_email is not None
            if changing:
                changes |= {"email": used.new_email, "email_verified_at": now}
                await record(uow, account.id, RightsAction.EMAIL_CHANGED, now)
            account = msgspec.structs.replace(account, **changes)
            await uow.accounts.update(account)
            signed_in = None if changing else await open_session(uow, account, now, self._policy, client)
            await uow.commit()
        return EmailConfirmed(account=account, signed_in=signed_in)
