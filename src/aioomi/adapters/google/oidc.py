"""OpenID Connect sign-in (authorization-code flow with PKCE) against Google or any OIDC provider.

Endpoints and issuer come from the provider's discovery document, so the same code runs against
https://accounts.google.com and a local test provider. Signatures are checked by ``joserfc``.
Nothing here logs or puts into an error message a code, token, nonce, verifier or secret.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from aioomi.domain.model.identity import (
    AuthorizationRequest,
    ExternalIdentity,
    IdentityProviderUnavailable,
    IdentityRejected,
)

GOOGLE_ISSUER = "https://accounts.google.com"
SCOPE = "openid email profile"
# Asymmetric algorithms only: never "none", never HMAC keyed with something public.
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# Google documents both forms for the "iss" of its ID tokens.
_ISSUER_ALIASES = {GOOGLE_ISSUER: frozenset({GOOGLE_ISSUER, "accounts.google.com"})}


class OidcIdentityProvider:
    """:class:`~aioomi.ports.identity_provider.IdentityProvider` over OpenID Connect, for Google.

    The discovery document (``<issuer_url>/.well-known/openid-configuration``) and the provider's
    JWKS are fetched on first use and cached for ``cache_ttl_s``; a token signed with a key id
    the cache does not know triggers one JWKS refresh (the provider rotated its keys). The client
    authenticates at the token endpoint with ``client_secret_basic``. Call :meth:`aclose` (or use
    ``async with``) to release the HTTP connections.
    """

    provider_name = "google"

    def __init__(
        self,
        issuer_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_s: float = 10.0,
        leeway_s: int = 60,
        cache_ttl_s: float = 3600.0,
    ) -> None:
        self._issuer_url = issuer_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._leeway_s = leeway_s
        self._cache_ttl_s = cache_ttl_s
        self._http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self._lock = asyncio.Lock()
        self._discovery: dict[str, Any] | None = None
        self._discovery_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def __repr__(self) -> str:
        return f"OidcIdentityProvider(issuer_url={self._issuer_url!r}, client_id={self._client_id!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> OidcIdentityProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def begin(self, redirect_uri: str) -> AuthorizationRequest:
        endpoint = _str_field(await self._config(), "authorization_endpoint")
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(64)  # 86 characters, within PKCE's 43..128
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPE,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge.rstrip(b"=").decode("ascii"),
                "code_challenge_method": "S256",
            }
        )
        return AuthorizationRequest(
            url=f"{endpoint}{'&' if '?' in endpoint else '?'}{query}",
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
        )

    async def complete(self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> ExternalIdentity:
        config = await self._config()
        id_token = await self._exchange(_str_field(config, "token_endpoint"), code, redirect_uri, code_verifier)
        claims = await self._verified_claims(id_token)
        self._check_claims(claims, issuer=config["issuer"], nonce=nonce)
        return _identity(self.provider_name, claims)

    # -- the provider's documents -----------------------------------------------------------

    async def _config(self) -> dict[str, Any]:
        if self._discovery is not None and time.monotonic() - self._discovery_at < self._cache_ttl_s:
            return self._discovery
        async with self._lock:
            if self._discovery is None or time.monotonic() - self._discovery_at >= self._cache_ttl_s:
                config = await self._get_json(f"{self._issuer_url}/.well-known/openid-configuration")
                # OIDC Discovery 4.3: the document's issuer must be the one it was fetched for.
                if str(config.get("issuer", "")).rstrip("/") != self._issuer_url:
                    raise IdentityProviderUnavailable("the discovery document names another issuer")
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    _str_field(config, name)
                self._discovery, self._discovery_at = config, time.monotonic()
        return self._discovery

    async def _key_set(self, *, refresh_unless: KeySet | None = None) -> KeySet:
        """The cached JWKS; with ``refresh_unless``, fetched again unless another task already
        replaced that set while this one waited."""
        async with self._lock:
            stale = self._keys is None or time.monotonic() - self._keys_at >= self._cache_ttl_s
            if stale or (refresh_unless is not None and self._keys is refresh_unless):
                assert self._discovery is not None
                document = await self._get_json(self._discovery["jwks_uri"])
                try:
                    self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (JoseError, KeyError, TypeError, ValueError) as exc:
                    raise IdentityProviderUnavailable("the provider's JWKS is unusable") from exc
                self._keys_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if response.status_code != 200:
            raise IdentityProviderUnavailable(f"the identity provider answered {response.status_code}")
        try:
            document = response.json()
        except ValueError as exc:
            raise IdentityProviderUnavailable("the identity provider sent invalid JSON") from exc
        if not isinstance(document, dict):
            raise IdentityProviderUnavailable("the identity provider sent an unexpected document")
        return document

    # -- the code exchange and the ID token ---------------------------------------------------

    async def _exchange(self, token_endpoint: str, code: str, redirect_uri: str, code_verifier: str) -> str:
        # RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
        auth = httpx.BasicAuth(quote(self._client_id, safe=""), quote(self._client_secret, safe=""))
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        try:
            response = await self._http.post(
                token_endpoint, data=form, auth=auth, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if response.status_code >= 500:
            raise IdentityProviderUnavailable(f"the token endpoint answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise IdentityRejected("the token endpoint sent no JSON object", code="oidc_exchange_failed")
        if response.status_code != 200:
            error = body.get("error")
            reason = error if isinstance(error, str) and error.isascii() and len(error) < 64 else "unknown"
            raise IdentityRejected(f"the provider refused the code ({reason})", code="oidc_exchange_failed")
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise IdentityRejected("the token response has no ID token", code="oidc_exchange_failed")
        return id_token

    async def _verified_claims(self, id_token: str) -> dict[str, Any]:
        try:
            header = jws.extract_compact(id_token.encode("ascii")).headers()
        except (JoseError, ValueError, TypeError) as exc:
            raise IdentityRejected("the ID token is malformed", code="oidc_invalid_token") from exc
        kid = header.get("kid")
        keys = await self._key_set()
        if not _knows(keys, kid):
            keys = await self._key_set(refresh_unless=keys)
        try:
            token = jwt.decode(id_token, keys, algorithms=_ALGORITHMS)
        except (JoseError, ValueError, TypeError) as exc:
            raise IdentityRejected(
                f"the ID token's signature does not verify ({type(exc).__name__})", code="oidc_invalid_token"
            ) from exc
        return token.claims

    def _check_claims(self, claims: dict[str, Any], *, issuer: str, nonce: str) -> None:
        if claims.get("iss") not in _ISSUER_ALIASES.get(issuer, frozenset({issuer})):
            raise IdentityRejected("the ID token comes from another issuer", code="oidc_wrong_issuer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self._client_id not in audiences:
            raise IdentityRejected("the ID token is meant for another client", code="oidc_wrong_audience")
        # OIDC Core 3.1.3.7: an authorized party, when named, must be this client.
        if "azp" in claims and claims["azp"] != self._client_id:
            raise IdentityRejected("the ID token is meant for another client", code="oidc_wrong_audience")
        registry = jwt.JWTClaimsRegistry(
            leeway=self._leeway_s, exp={"essential": True}, iat={"essential": True}, sub={"essential": True}
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise IdentityRejected("the ID token has expired", code="oidc_token_expired") from exc
        except JoseError as exc:
            raise IdentityRejected(
                f"the ID token's claims are invalid ({exc.error})", code="oidc_invalid_token"
            ) from exc
        token_nonce = claims.get("nonce")
        matches = isinstance(token_nonce, str) and hmac.compare_digest(token_nonce.encode(), nonce.encode())
        if not nonce or not matches:
            raise IdentityRejected("the ID token's nonce does not match", code="oidc_nonce_mismatch")


def _unreachable(exc: httpx.HTTPError) -> IdentityProviderUnavailable:
    return IdentityProviderUnavailable(f"cannot reach the identity provider ({type(exc).__name__})")


def _knows(keys: KeySet, kid: object) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys.keys)


def _str_field(config: dict[str, Any], name: str) -> str:
    value = config.get(name)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise IdentityProviderUnavailable(f"the discovery document lacks a valid {name}")
    return value


def _identity(provider: str, claims: dict[str, Any]) -> ExternalIdentity:
    email = claims.get("email")
    verified = claims.get("email_verified") in (True, "true")  # some providers send a string
    if not isinstance(email, str) or not email:
        raise IdentityRejected("the provider shared no email address", code="oidc_email_unverified")
    if not verified:
        raise IdentityRejected("the provider has not verified the email address", code="oidc_email_unverified")
    name = claims.get("name")
    return ExternalIdentity(
        provider=provider,
        subject=claims["sub"],
        email=email,
        email_verified=True,
        name=name if isinstance(name, str) and name else None,
    )
