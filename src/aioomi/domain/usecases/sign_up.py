"""SignUp: an owner creates an account with email and password."""

from __future__ import annotations

import msgspec

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    Account,
    AccountStatus,
    ConsentRequired,
    TokenPurpose,
    check_full_name,
    check_new_password,
    normalize_email,
    SessionPolicy,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.usecases.policy_versions import current_policy_version
from aioomi.domain.usecases.auth_support import ClientInfo, enforce, issue_link_token, verification_email
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class SignUpRequest(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    full_name: str
    password: str
    adult: bool
    accepted_policy_version: str


class SignUp:
    """Create an email + password account and send the verification link.

    Rules:
    - collects only what the policy lists: email, full name, password (stored as argon2id);
    - the person must confirm they are 18 or older and accept the policy version in force;
      both are recorded with the time;
    - the answer never reveals whether the email is registered: for a taken email the
      existing owner gets a notice instead, and the caller sees the same outcome;
    - at most ``abuse.SIGN_UP_PER_IP`` attempts per IP.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        mailer: Mailer,
        limiter: RateLimiter,
        links: Links,
        policy: SessionPolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._mailer = mailer
        self._limiter = limiter
        self._links = links
        self._policy = policy

    async def __call__(self, request: SignUpRequest, client: ClientInfo) -> None:
        email = normalize_email(request.email)
        full_name = check_full_name(request.full_name)
        check_new_password(request.password, email=email)
        if not request.adult:
            raise ConsentRequired("Aioomi is for people aged 18 or older.", field="adult")
        current_version = await current_policy_version(self._uow, self._clock.now())
        if request.accepted_policy_version != current_version:
            raise ConsentRequired(
                f"Accept the privacy policy version {current_version}.", field="accepted_policy_version"
            )
        await enforce(self._limiter, abuse.SIGN_UP_PER_IP, client.ip or "-")
        password_hash = await self._hasher.hash(request.password)  # also when taken: same timing
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            existing = await uow.accounts.find_by_email(email)
            if existing is not None:
                message = EmailMessage(
                    to=email,
                    kind="signup_attempt",
                    subject="Someone tried to sign up with your email",
                    text=(
                        f"Hello {existing.full_name},\n\nSomeone (maybe you) tried to create an Aioomi account "
                        f"with this email address, which already has one. If it was you, sign in at "
                        f"{self._links.sign_in()} or reset your password there.\n\nIf it was not you, "
                        "you can ignore this message.\n"
                    ),
                )
            else:
                account = Account(
                    id=new_id("acct"),
                    email=email,
                    full_name=full_name,
                    password_hash=password_hash,
                    google_subject=None,
                    email_verified_at=None,
                    adult_attested_at=now,
                    accepted_policy_version=request.accepted_policy_version,
                    status=AccountStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
                await uow.accounts.add(account)
                token = await issue_link_token(uow, account.id, TokenPurpose.VERIFY_EMAIL, now, self._policy)
                message = verification_email(email, full_name, token, self._links, self._policy)
            await uow.commit()
        await self._mailer.send(message)
