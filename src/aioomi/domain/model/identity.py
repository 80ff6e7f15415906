"""Identities vouched for by an outside identity provider (Google sign-in), and why one is refused.

Google shares the account's email address and name (the privacy policy says so): an
:class:`ExternalIdentity` carries those and nothing more.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from aioomi.domain.model.errors import Unauthenticated, Unavailable


class ExternalIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """A person as the identity provider vouches for them after a verified sign-in.

    ``subject`` is the provider's stable, never reassigned id for the account; the pair
    (``provider``, ``subject``) identifies the person, the email may change.
    """

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str | None = None


class AuthorizationRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Where to send the browser to sign in, and what the caller must keep server-side (bound to
    the browser session) until the callback: ``state`` to compare with the callback's, ``nonce``
    and ``code_verifier`` to complete the sign-in. Never sent to the browser except inside ``url``.
    """

    url: str
    redirect_uri: str
    state: str
    nonce: str
    code_verifier: str

    def __repr__(self) -> str:
        return f"AuthorizationRequest(redirect_uri={self.redirect_uri!r}, state=***, nonce=***, code_verifier=***)"


class IdentityRejected(Unauthenticated):
    """The identity provider's answer cannot be trusted, or does not qualify for sign-in.

    The ``code`` says why; the codes in :attr:`CODES` are stable (part of the public API).
    """

    code = "oidc_invalid_token"
    title = "Sign-in with the identity provider was refused"
    CODES: ClassVar[frozenset[str]] = frozenset(
        {
            "oidc_exchange_failed",  # the token endpoint refused the code (used, expired, wrong client)
            "oidc_invalid_token",  # malformed, bad signature, unknown key, missing claims
            "oidc_wrong_issuer",
            "oidc_wrong_audience",
            "oidc_token_expired",
            "oidc_nonce_mismatch",
            "oidc_email_unverified",  # no email, or the provider has not verified it
        }
    )

    def __init__(self, detail: str | None = None, *, code: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown identity rejection code {code!r}")
        super().__init__(detail, code=code)


class IdentityProviderUnavailable(Unavailable):
    """The identity provider cannot be reached or answers with a server error; retrying may help."""

    code = "oidc_provider_unavailable"
    title = "The identity provider is unavailable"
