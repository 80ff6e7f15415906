"""UpdateProfile: correcting the owner's own data."""

from __future__ import annotations

import msgspec

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    Account,
    EmailTaken,
    Principal,
    SessionPolicy,
    TokenPurpose,
    WrongPassword,
    check_full_name,
    normalize_email,
)
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.privacy import RightsAction
from aioomi.domain.usecases.auth_support import enforce, issue_link_token
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class ProfileChanges(msgspec.Struct, frozen=True, kw_only=True):
    full_name: str | None = None
    email: str | None = None
    current_password: str | None = None
    """Needed to change the email of an account that has a password."""


class ProfileUpdated(msgspec.Struct, frozen=True, kw_only=True):
    account: Account
    pending_email: str | None = None


class UpdateProfile:
    """Rectification: change the full name at once; change the email only once the new
    address is proven.

    Rules:
    - changing the email needs the current password (when the account has one);
    - a new email gets a single-use confirmation link; the account keeps its current email
      until the link is followed (then the new one is verified); following it opens no session;
    - the current address gets a notice with a link that, for 7 days, cancels the change (or
      undoes it), and signs out every session and API key; a later change does not void it;
    - an email already used by another account is refused, without saying whose it is;
    - at most ``abuse.EMAIL_LINK_PER_ACCOUNT`` change links per hour.
    (Only a recently re-authenticated browser session reaches this use case: see
    ``RequireRecentSession``.)
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        mailer: Mailer,
        limiter: RateLimiter,
        links: Links,
        policy: SessionPolicy,
        hasher: PasswordHasher,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._mailer = mailer
        self._limiter = limiter
        self._links = links
        self._policy = policy

    async def __call__(self, principal: Principal, changes: ProfileChanges) -> ProfileUpdated:
        full_name = check_full_name(changes.full_name) if changes.full_name is not None else None
        new_email = normalize_email(changes.email) if changes.email is not None else None
        now = self._clock.now()
        messages: list[EmailMessage] = []
        async with self._uow(account_id=principal.account_id) as uow:
            account = await uow.accounts.get(principal.account_id)
            if account is None:
                raise NotFound("No such account.", code="account_not_found")
            if full_name is not None and full_name != account.full_name:
                account = msgspec.structs.replace(account, full_name=full_name, updated_at=now)
                await uow.accounts.update(account)
                await record(uow, account.id, RightsAction.PROFILE_UPDATED, now, fields=["full_name"])
            if new_email is not None and new_email != account.email:
                if account.password_hash is not None and not (
                    changes.current_password
                    and await self._hasher.verify(account.password_hash, changes.current_password)
                ):
                    raise WrongPassword("Enter your current password to change the email.", field="current_password")
                await enforce(self._limiter, abuse.EMAIL_LINK_PER_ACCOUNT, account.id)
                async with self._uow(account_id=None) as lookup:
                    taken = await lookup.accounts.find_by_email(new_email)
                if taken is not None:
                    raise EmailTaken("That email address cannot be used.", code="email_taken")
                token = await issue_link_token(
                    uow, account.id, TokenPurpose.CHANGE_EMAIL, now, self._policy, new_email=new_email
                )
                cancel = await issue_link_token(
                    uow,
                    account.id,
                    TokenPurpose.CANCEL_EMAIL_CHANGE,
                    now,
                    self._policy,
                    restore_email=account.email,
                    replace_older=False,
                )
                await record(uow, account.id, RightsAction.EMAIL_CHANGE_REQUESTED, now)
                days = self._policy.cancel_email_change_link.days
                messages = [
                    EmailMessage(
                        to=new_email,
                        kind="email_change",
                        subject="Confirm your new email for Aioomi",
                        text=(
                            f"Hello {account.full_name},\n\nConfirm that this is your new Aioomi email address:\n\n"
                            f"{self._links.verify_email(token)}\n\nUntil you do, your account keeps {account.email}.\n"
                        ),
                    ),
                    EmailMessage(
                        to=account.email,
                        kind="email_change_notice",
                        subject="Your Aioomi email address is being changed",
                        text=(
                            f"Hello {account.full_name},\n\nSomeone signed in to your Aioomi account asked to change its "
                            f"email address from {account.email} to {new_email}.\n\nIf it was not you, follow this link: "
                            f"it cancels the change (or undoes it), and signs out every browser and API key:\n\n"
                            f"{self._links.cancel_email_change(cancel)}\n\nThe link works once, for {days} days. "
                            "Then choose a new password.\n"
                        ),
                    ),
                ]
            await uow.commit()
        for message in messages:
            await self._mailer.send(message)
        return ProfileUpdated(account=account, pending_email=new_email if messages else None)
