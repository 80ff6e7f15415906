"""The BeginGoogleSignIn use case."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from aioomi.domain.model.secrets import hash_token
from aioomi.ports.accounts import PendingSignIn
from aioomi.ports.clock import Clock
from aioomi.ports.identity_provider import IdentityProvider
from aioomi.ports.unit_of_work import UnitOfWorkFactory

PENDING_LIFETIME = timedelta(minutes=10)


class GoogleSignInStarted(msgspec.Struct, frozen=True, kw_only=True):
    """Where to send the browser, and the ``state`` the browser must bring back: the entry point
    keeps it in a cookie of that browser, so the callback completes only where it started."""

    url: str
    state: str


class BeginGoogleSignIn:
    """Start a Google sign-in: returns the URL to send the browser to, and its state.

    Rules:
    - ``state``, ``nonce`` and the PKCE verifier are kept server-side (the state only as a
      hash) for ten minutes and can be used once;
    - the state is also handed to the starting browser, and the callback must come from a
      browser holding it (no login CSRF: a callback link made by someone else fails);
    - a first-time Google user must have confirmed 18+ and accepted the policy before leaving,
      which is recorded with the pending sign-in.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, provider: IdentityProvider) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider

    async def __call__(
        self, redirect_uri: str, *, adult: bool = False, accepted_policy_version: str | None = None
    ) -> GoogleSignInStarted:
        request = await self._provider.begin(redirect_uri)
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            await uow.pending_sign_ins.add(
                PendingSignIn(
                    state_hash=hash_token(request.state),
                    nonce=request.nonce,
                    code_verifier=request.code_verifier,
                    created_at=now,
                    expires_at=now + PENDING_LIFETIME,
                    adult_attested=adult,
                    accepted_policy_version=accepted_policy_version,
                )
            )
            await uow.commit()
        return GoogleSignInStarted(url=request.url, state=request.state)
