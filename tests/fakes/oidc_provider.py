"""A real OpenID Connect provider for tests: ``oidc-provider-mock`` served on 127.0.0.1.

Use the ``oidc_provider`` fixture (import it into the test module, or list this module in
``pytest_plugins``), or :func:`serve_oidc_provider` as a context manager. The provider requires
client registration and a nonce; :meth:`OidcTestProvider.authorize` plays the browser's part.

    async def test_sign_in(oidc_provider: OidcTestProvider) -> None:
        adapter = OidcIdentityProvider(oidc_provider.issuer, oidc_provider.client_id,
                                       oidc_provider.client_secret)
        request = await adapter.begin(GOOGLE_CALLBACK)
        redirect = oidc_provider.authorize(request.url, email="ada@example.com", name="Ada")
        assert redirect.state == request.state
        identity = await adapter.complete(code=redirect.code, ...)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

CALLBACK_PATH = "/api/v1/auth/google/callback"
#: Redirect URIs the default client is registered with: Litestar's test client base URL and the
#: local default address. Others need :meth:`OidcTestProvider.register_client`.
DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    f"http://testserver.local{CALLBACK_PATH}",
    f"http://127.0.0.1:8000{CALLBACK_PATH}",
    f"http://localhost:8000{CALLBACK_PATH}",
)


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # request lines carry codes and states; the test output needs neither


@contextmanager
def serve_wsgi(app: WSGIApplication) -> Iterator[str]:
    """Serve a WSGI app on a free port of 127.0.0.1 in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class ProviderRedirect:
    """Where the provider sent the browser back: the full ``callback_url`` and its parameters."""

    callback_url: str
    code: str | None
    state: str | None
    error: str | None


@dataclass(frozen=True)
class OidcTestProvider:
    """A running provider, and a client registered with it for :data:`DEFAULT_REDIRECT_URIS`."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]

    def register_client(self, redirect_uris: Sequence[str]) -> OidcClient:
        """Register another client (``client_secret_basic``) for these exact redirect URIs."""
        response = httpx.post(
            f"{self.issuer}/oauth2/clients",
            json={"redirect_uris": list(redirect_uris), "token_endpoint_auth_method": "client_secret_basic"},
        )
        response.raise_for_status()
        body = response.json()
        return OidcClient(body["client_id"], body["client_secret"], tuple(redirect_uris))

    def authorize(
        self,
        authorization_url: str,
        *,
        email: str,
        name: str | None = "Test User",
        email_verified: bool = True,
        subject: str | None = None,
    ) -> ProviderRedirect:
        """Sign in as this person on the provider's page and consent, as a browser would.

        ``subject`` defaults to one derived from ``email``, so the same email is the same person.
        Returns the redirect back to the client; raises ``AssertionError`` if the provider
        refuses the request (unknown client, unregistered redirect URI, no nonce).
        """
        subject = subject or "sub-" + hashlib.sha256(email.encode()).hexdigest()[:20]
        claims: dict[str, object] = {"email": email, "email_verified": email_verified}
        if name is not None:
            claims["name"] = name
        with httpx.Client() as browser:
            browser.put(f"{self.issuer}/users/{quote(subject, safe='')}", json=claims).raise_for_status()
            return _follow(browser, authorization_url, {"sub": subject})

    def deny(self, authorization_url: str) -> ProviderRedirect:
        """Refuse consent on the provider's page: the redirect carries ``error=access_denied``."""
        with httpx.Client() as browser:
            return _follow(browser, authorization_url, {"action": "deny"})


def _follow(browser: httpx.Client, authorization_url: str, form: dict[str, str]) -> ProviderRedirect:
    page = browser.get(authorization_url)
    assert page.status_code == 200, f"the provider refused the request: {page.status_code} {page.text[:500]}"
    response = browser.post(authorization_url, data=form)
    assert response.status_code == 302, f"no redirect: {response.status_code} {response.text[:500]}"
    location = response.headers["location"]
    query = parse_qs(urlsplit(location).query)
    return ProviderRedirect(
        callback_url=location,
        code=query.get("code", [None])[0],
        state=query.get("state", [None])[0],
        error=query.get("error", [None])[0],
    )


@contextmanager
def serve_oidc_provider(redirect_uris: Sequence[str] = DEFAULT_REDIRECT_URIS) -> Iterator[OidcTestProvider]:
    """Run a fresh provider; yield it with a client registered for ``redirect_uris``."""
    app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True)
    with serve_wsgi(app) as issuer:
        client = OidcTestProvider(issuer, "", "", ()).register_client(redirect_uris)
        yield OidcTestProvider(issuer, client.client_id, client.client_secret, client.redirect_uris)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcTestProvider]:
    """One provider for the session: each sign-in gets its own code, so tests do not collide."""
    with serve_oidc_provider() as provider:
        yield provider
