"""Google: sign-in with Google as an OpenID Connect provider."""

from aioomi.adapters.google.oidc import GOOGLE_ISSUER, OidcIdentityProvider

__all__ = ["GOOGLE_ISSUER", "OidcIdentityProvider"]
