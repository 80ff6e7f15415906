"""SendSignUpMail: the worker's half of a sign-up, the mail that answers it."""

from __future__ import annotations

from aioomi.domain.model.accounts import SessionPolicy, TokenPurpose
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.auth_support import issue_link_token, verification_email
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SendSignUpMail:
    """Mail what a sign-up asked for (run as the ``accounts.send_sign_up_mail`` job, enqueued
    in the sign-up's own unit of work).

    Rules:
    - a new account that is not yet verified gets a verification link (the token is stored
      before the mail leaves; a new link invalidates the previous ones);
    - an address that was already registered gets a notice that someone tried to sign up with
      it, never a link (the caller of the sign-up saw the same answer either way);
    - an account gone meanwhile (erased) gets nothing.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, mailer: Mailer, links: Links, policy: SessionPolicy
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer
        self._links = links
        self._policy = policy

    async def __call__(self, account_id: str, *, already_registered: bool) -> str:
        now = self._clock.now()
        async with self._uow(account_id=account_id) as uow:
            account = await uow.accounts.get(account_id)
            if account is None:
                return "gone"
            if already_registered:
                message = EmailMessage(
                    to=account.email,
                    kind="signup_attempt",
                    subject="Someone tried to sign up with your email",
                    text=(
                        f"Hello {account.full_name},\n\nSomeone (maybe you) tried to create an Aioomi account "
                        f"with this email address, which already has one. If it was you, sign in at "
                        f"{self._links.sign_in()} or reset your password there.\n\nIf it was not you, "
                        "you can ignore this message.\n"
                    ),
                )
            elif account.email_verified:
                return "verified"
            else:
                token = await issue_link_token(uow, account.id, TokenPurpose.VERIFY_EMAIL, now, self._policy)
                message = verification_email(account.email, account.full_name, token, self._links, self._policy)
            await uow.commit()
        await self._mailer.send(message)
        return str(message.kind)
