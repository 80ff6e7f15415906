"""Signing in with an outside identity provider (OpenID Connect authorization-code flow)."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.identity import AuthorizationRequest, ExternalIdentity


class IdentityProvider(Protocol):
    """An OpenID Connect provider (Google) that vouches for a person's email and name.

    The flow has two halves around the browser's visit to the provider:

    1. :meth:`begin` makes an :class:`AuthorizationRequest`. The caller redirects the browser to
       its ``url`` and keeps ``state``, ``nonce`` and ``code_verifier`` server-side, bound to the
       browser's session, until the callback.
    2. The provider redirects back to ``redirect_uri`` with ``code`` and ``state``. **Checking
       the state is the caller's job**: compare the callback's ``state`` with the stored one
       (constant time) and refuse on mismatch or absence, *before* calling :meth:`complete`;
       then discard the stored values, so a callback is used at most once.

    Errors: :class:`~aioomi.domain.model.identity.IdentityRejected` (an ``Unauthenticated``,
    with a stable ``oidc_*`` code saying why) when the provider's answer cannot be trusted or
    does not qualify; :class:`~aioomi.domain.model.identity.IdentityProviderUnavailable` (an
    ``Unavailable``, code ``oidc_provider_unavailable``) when the provider cannot be reached.
    """

    async def begin(self, redirect_uri: str) -> AuthorizationRequest:
        """A fresh authorization request for scope ``openid email profile``: random ``state``
        and ``nonce``, and a PKCE ``code_verifier`` whose S256 challenge is in the URL."""
        ...

    async def complete(self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> ExternalIdentity:
        """Exchange the callback's ``code`` for an ID token and verify it.

        ``redirect_uri``, ``code_verifier`` and ``nonce`` are the values of the request that
        :meth:`begin` made. Verified: the code exchange itself (client secret and PKCE
        verifier, at the provider), the token's signature against the provider's published
        keys, ``iss`` (the provider's issuer), ``aud`` (contains this client), ``exp``/``iat``
        (a small leeway for clock skew), ``nonce`` (equals the given one), and that the email
        exists and is verified by the provider (``oidc_email_unverified`` otherwise).
        """
        ...
