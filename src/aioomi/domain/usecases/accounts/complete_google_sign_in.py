"""CompleteGoogleSignIn: Finish a Google sign-in from the provider's callback and open a session."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import (
    Account,
    AccountStatus,
    ConsentRequired,
    SessionPolicy,
    ensure_can_sign_in,
    normalize_email,
)
from aioomi.domain.model.errors import Unauthenticated
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import policy_in_force
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.auth_support import ClientInfo, SignedIn, open_session
from aioomi.ports.clock import Clock
from aioomi.ports.identity_provider import IdentityProvider
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CompleteGoogleSignIn:
    """Finish a Google sign-in from the provider's callback and open a session.

    Rules:
    - the callback's ``state`` must match a pending sign-in (single use, unexpired);
    - the ID token is verified by the identity provider adapter (signature, issuer, audience,
      expiry, nonce) and only a verified email is accepted;
    - only email and name are taken from Google;
    - the account is found by Google subject, else linked to the account with the same
      (verified) email, else created — which needs the 18+ and policy consent given at start.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, provider: IdentityProvider, policy: SessionPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._policy = policy

    async def __call__(self, *, state: str, code: str, redirect_uri: str, client: ClientInfo) -> SignedIn:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            pending = await uow.pending_sign_ins.consume(hash_token(state), now)
            await uow.commit()
        if pending is None:
            raise Unauthenticated("The sign-in expired or was already used; start again.", code="oidc_state_invalid")
        identity = await self._provider.complete(
            code=code, redirect_uri=redirect_uri, code_verifier=pending.code_verifier, nonce=pending.nonce
        )
        email = normalize_email(identity.email)
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.find_by_google_subject(identity.subject)
            if account is None:
                account = await uow.accounts.find_by_email(email)
                if account is not None and account.email_verified:
                    account = msgspec.structs.replace(account, google_subject=identity.subject, updated_at=now)
                    await uow.accounts.update(account)
                elif account is not None:
                    # Nobody ever proved this mailbox: whoever registered it may not own it. Google
                    # proves it now, so the mailbox owner takes the account over — without the
                    # unproven password and sessions someone else may have set.
                    account = msgspec.structs.replace(
                        account,
                        google_subject=identity.subject,
                        password_hash=None,
                        email_verified_at=now,
                        full_name=_display_name(identity.name, email),
                        updated_at=now,
                    )
                    await uow.accounts.update(account)
                    await uow.sessions.revoke_all(account.id, now)
                    await uow.api_keys.revoke_all(account.id, now)
            if account is None:
                in_force = policy_in_force(await uow.privacy.list_policy_versions(), now.date())
                current_version = in_force.version if in_force else None
                if (
                    not pending.adult_attested
                    or current_version is None
                    or pending.accepted_policy_version != current_version
                ):
                    raise ConsentRequired(
                        "To create an account, confirm you are 18 or older and accept the privacy policy.",
                    )
                account = Account(
                    id=new_id("acct"),
                    email=email,
                    full_name=_display_name(identity.name, email),
                    password_hash=None,
                    google_subject=identity.subject,
                    email_verified_at=now,
                    adult_attested_at=now,
                    accepted_policy_version=current_version,
                    status=AccountStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
                await uow.accounts.add(account)
            ensure_can_sign_in(account)
            signed_in = await open_session(uow, account, now, self._policy, client)
            await uow.commit()
        return signed_in


def _display_name(name: str | None, email: str) -> str:
    """Google's name, tidied; the email's local part when Google has none (or only blanks)."""
    tidy = " ".join((name or "").split())
    return (tidy or email.split("@")[0])[:200]
