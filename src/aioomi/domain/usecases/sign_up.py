"""SignUp: an owner creates an account with email and password (the mail goes by a job)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.domain.model import abuse
from aioomi.domain.model.accounts import (
    SEND_SIGN_UP_MAIL_JOB,
    Account,
    AccountStatus,
    ConsentRequired,
    check_full_name,
    check_new_password,
    normalize_email,
)
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.workspaces import InvitationForAnotherEmail, InvitationNotFound, InvitationNotPending
from aioomi.domain.usecases.auth_support import ClientInfo, enforce
from aioomi.domain.usecases.privacy.policy_versions_support import current_policy_version
from aioomi.domain.usecases.workspaces.support import join_by_invitation
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class SignUpRequest(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    full_name: str
    password: str
    adult: bool
    accepted_policy_version: str
    invitation_token: str | None = None
    """From an invitation's link: the new account joins that workspace at once."""


class SignUp:
    """Create an email + password account; its verification link is mailed by a job.

    Rules:
    - collects only what the policy lists: email, full name, password (stored as argon2id);
    - the person must confirm they are 18 or older and accept the policy version in force;
      both are recorded with the time;
    - the answer never reveals whether the email is registered: the request does the same work
      either way (the password is hashed, one job is enqueued in the same unit of work as the
      account) and the caller sees the same outcome; the job (``SendSignUpMail``) mails the new
      account its verification link, or the existing owner a notice that someone tried to sign
      up with their address, so neither the answer, its timing nor a mail relay failure tells
      who is registered;
    - at most ``abuse.SIGN_UP_PER_IP`` attempts per IP;
    - with an invitation's token, a new account joins that workspace in the same transaction when
      the invitation is pending and was sent to this address; otherwise the token is ignored
      (the answer stays the same), and an existing owner accepts by signing in.
    """

    @staticmethod
    async def _join(uow: UnitOfWork, token: str, account: Account, now: datetime) -> None:
        try:
            await join_by_invitation(uow, token, account, now)
        except (InvitationNotFound, InvitationNotPending, InvitationForAnotherEmail):
            pass  # the same answer as without a token: sign-up never says more

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher, limiter: RateLimiter) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._limiter = limiter

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
            if existing is None:
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
                if request.invitation_token:
                    await self._join(uow, request.invitation_token, account, now)
            await uow.jobs.enqueue(
                NewJob(
                    kind=SEND_SIGN_UP_MAIL_JOB,
                    payload={"account_id": (existing or account).id, "already_registered": existing is not None},
                )
            )
            await uow.commit()
