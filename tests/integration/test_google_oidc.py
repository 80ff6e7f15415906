"""The OpenID Connect adapter over real HTTP: against ``oidc-provider-mock`` (a real provider) for
the flow itself, and against a small provider of our own for the ID tokens a well-behaved
provider never issues (expired, foreign key, other audience or issuer, rotated keys)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Request, Response

from aioomi.adapters.google import OidcIdentityProvider
from aioomi.domain.model.errors import Unauthenticated, Unavailable
from aioomi.domain.model.identity import AuthorizationRequest, ExternalIdentity, IdentityRejected
from tests.fakes.oidc_provider import (
    DEFAULT_REDIRECT_URIS,
    OidcTestProvider,
    oidc_provider,  # noqa: F401 (the fixture)
    serve_wsgi,
)

CALLBACK = DEFAULT_REDIRECT_URIS[0]


def complete_kwargs(request: AuthorizationRequest, code: str | None, **overrides: str) -> dict[str, Any]:
    kwargs = {"redirect_uri": request.redirect_uri, "code_verifier": request.code_verifier, "nonce": request.nonce}
    return {"code": code, **kwargs, **overrides}


@dataclass
class MockFlow:
    """The adapter against oidc-provider-mock, and the browser's part of the flow."""

    adapter: OidcIdentityProvider
    provider: OidcTestProvider

    async def sign_in(self, **person: Any) -> tuple[AuthorizationRequest, str]:
        request = await self.adapter.begin(CALLBACK)
        redirect = self.provider.authorize(request.url, **person)
        assert redirect.state == request.state and redirect.code
        return request, redirect.code

    async def rejection(self, request: AuthorizationRequest, code: str, **overrides: str) -> str:
        with pytest.raises(IdentityRejected) as caught:
            await self.adapter.complete(**complete_kwargs(request, code, **overrides))
        assert isinstance(caught.value, Unauthenticated)
        return caught.value.code


@pytest.fixture
async def mock_flow(oidc_provider: OidcTestProvider) -> AsyncIterator[MockFlow]:
    provider = oidc_provider
    async with OidcIdentityProvider(provider.issuer, provider.client_id, provider.client_secret) as adapter:
        yield MockFlow(adapter, provider)


# -- against oidc-provider-mock ------------------------------------------------------------------


async def test_signs_in_a_verified_person(mock_flow: MockFlow) -> None:
    request, code = await mock_flow.sign_in(email="ada@example.com", name="Ada Lovelace", subject="g-1")

    identity = await mock_flow.adapter.complete(**complete_kwargs(request, code))

    assert (identity.provider, identity.subject, identity.email) == ("google", "g-1", "ada@example.com")
    assert identity.email_verified is True
    assert identity.name == "Ada Lovelace"
    query = parse_qs(urlsplit(request.url).query)
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(request.code_verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == [challenge.decode()]
    assert query["state"] == [request.state] and query["nonce"] == [request.nonce]
    assert "code_verifier" not in query
    assert len({request.state, request.nonce, request.code_verifier}) == 3


async def test_a_person_without_a_name_signs_in(mock_flow: MockFlow) -> None:
    request, code = await mock_flow.sign_in(email="anon@example.com", name=None)
    assert (await mock_flow.adapter.complete(**complete_kwargs(request, code))).name is None


async def test_rejects_a_nonce_other_than_the_requests(mock_flow: MockFlow) -> None:
    request, code = await mock_flow.sign_in(email="ada@example.com")
    assert await mock_flow.rejection(request, code, nonce="another-nonce") == "oidc_nonce_mismatch"


async def test_a_code_works_once(mock_flow: MockFlow) -> None:
    request, code = await mock_flow.sign_in(email="ada@example.com")
    await mock_flow.adapter.complete(**complete_kwargs(request, code))
    assert await mock_flow.rejection(request, code) == "oidc_exchange_failed"


async def test_rejects_an_unverified_email(mock_flow: MockFlow) -> None:
    request, code = await mock_flow.sign_in(email="eve@example.com", email_verified=False)
    assert await mock_flow.rejection(request, code) == "oidc_email_unverified"


async def test_the_provider_refuses_another_redirect_uri(mock_flow: MockFlow) -> None:
    request, code = await mock_flow.sign_in(email="ada@example.com")
    other_uri = DEFAULT_REDIRECT_URIS[1]
    assert await mock_flow.rejection(request, code, redirect_uri=other_uri) == "oidc_exchange_failed"


async def test_the_provider_refuses_a_wrong_client_secret(mock_flow: MockFlow) -> None:
    provider = mock_flow.provider
    async with OidcIdentityProvider(provider.issuer, provider.client_id, "not-the-secret") as adapter:
        flow = MockFlow(adapter, provider)
        request, code = await flow.sign_in(email="ada@example.com")
        assert await flow.rejection(request, code) == "oidc_exchange_failed"


# -- against a provider whose tokens the test shapes ------------------------------------------

CLIENT_ID, CLIENT_SECRET = "client-1", "secret-1"


@pytest.fixture(scope="module")
def keys() -> list[RSAKey]:
    return [RSAKey.generate_key(2048, parameters={"kid": f"key-{n}"}) for n in range(3)]


class ShapedProvider:
    """Discovery, a token endpoint (client_secret_basic, PKCE S256) and a JWKS; the test picks
    the signing key, the published keys and the ID token's claims, and reads request counts."""

    def __init__(self, keys: list[RSAKey]) -> None:
        self.signing_key, self.published = keys[0], [keys[0]]
        self.claims: dict[str, Any] = {}  # overrides; None deletes a claim
        self.header: dict[str, Any] = {}
        self.token_status = 200
        self.requests: Counter[str] = Counter()
        self.codes: dict[str, dict[str, str]] = {}
        self.issuer = self.advertised_issuer = ""

    def authorize(self, authorization_url: str) -> str:
        """The browser's part: record the request's challenge and nonce under a fresh code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        code = f"code-{len(self.codes)}"
        self.codes[code] = query
        return code

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        self.requests[request.path] += 1
        if request.path == "/.well-known/openid-configuration":
            body: Any = {
                "issuer": self.advertised_issuer or self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }
        elif request.path == "/jwks":
            body = KeySet(self.published).as_dict()
        elif request.path == "/token":
            status, body = self.token(request)
            return Response(json.dumps(body), status, content_type="application/json")(environ, start_response)
        else:
            return Response("not found", 404)(environ, start_response)
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)

    def token(self, request: Request) -> tuple[int, dict[str, Any]]:
        if self.token_status != 200:
            return self.token_status, {"error": "temporarily_unavailable"}
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        asked = self.codes.pop(request.form.get("code", ""), None)
        verifier = request.form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if asked is None or (asked["redirect_uri"], asked["code_challenge"]) != (
            request.form.get("redirect_uri"),
            challenge,
        ):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": "1234567890",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada Lovelace",
            "nonce": asked["nonce"],
            "iat": now,
            "exp": now + 3600,
        }
        claims = {k: v for k, v in {**claims, **self.claims}.items() if v is not None}
        header = {"alg": "RS256", "kid": self.signing_key.kid, **self.header}
        id_token = jwt.encode(header, claims, self.signing_key)
        return 200, {"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}


@dataclass
class ShapedFlow:
    adapter: OidcIdentityProvider
    provider: ShapedProvider

    async def sign_in(self, **overrides: str) -> ExternalIdentity:
        request = await self.adapter.begin(CALLBACK)
        code = self.provider.authorize(request.url)
        return await self.adapter.complete(**complete_kwargs(request, code, **overrides))

    async def rejection(self, **overrides: str) -> str:
        with pytest.raises(IdentityRejected) as caught:
            await self.sign_in(**overrides)
        return caught.value.code


@pytest.fixture
async def flow(keys: list[RSAKey]) -> AsyncIterator[ShapedFlow]:
    provider = ShapedProvider(keys)
    with serve_wsgi(provider) as url:
        provider.issuer = url
        async with OidcIdentityProvider(url, CLIENT_ID, CLIENT_SECRET, timeout_s=2) as adapter:
            yield ShapedFlow(adapter, provider)


async def test_shaped_provider_signs_in(flow: ShapedFlow) -> None:
    identity = await flow.sign_in()
    assert (identity.subject, identity.email, identity.name) == ("1234567890", "ada@example.com", "Ada Lovelace")


async def test_the_pkce_verifier_must_match_the_challenge(flow: ShapedFlow) -> None:
    assert await flow.rejection(code_verifier="x" * 86) == "oidc_exchange_failed"


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"exp": -3600, "iat": -7200}, False),
        ({"exp": -30, "iat": -600}, True),  # within the leeway for clock skew
        ({"iat": +3600}, False),  # issued in the future: invalid, not "expired"
    ],
)
async def test_token_lifetime(flow: ShapedFlow, claims: dict, accepted: bool) -> None:
    now = int(time.time())
    flow.provider.claims = {name: now + delta for name, delta in claims.items()}
    if accepted:
        await flow.sign_in()
    else:
        assert await flow.rejection() == ("oidc_token_expired" if "exp" in claims else "oidc_invalid_token")


async def test_rejects_a_token_signed_by_another_key(flow: ShapedFlow, keys: list[RSAKey]) -> None:
    flow.provider.signing_key = keys[1]
    flow.provider.header = {"kid": keys[0].kid}  # claims the published key's id
    assert await flow.rejection() == "oidc_invalid_token"


async def test_rejects_an_unsigned_token(flow: ShapedFlow) -> None:
    request = await flow.adapter.begin(CALLBACK)
    code = flow.provider.authorize(request.url)
    signed = flow.provider.token  # keep the real exchange, then strip the signature and say "none"

    def unsigned(req: Request) -> tuple[int, dict[str, Any]]:
        status, body = signed(req)
        _, payload, _ = body["id_token"].split(".")
        head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        return status, {**body, "id_token": f"{head}.{payload}."}

    flow.provider.token = unsigned  # type: ignore[method-assign]
    with pytest.raises(IdentityRejected) as caught:
        await flow.adapter.complete(**complete_kwargs(request, code))
    assert caught.value.code == "oidc_invalid_token"


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"aud": [CLIENT_ID]}, True),
        ({"aud": ["other", CLIENT_ID]}, True),
        ({"aud": "other", "azp": None}, False),
        ({"aud": ["other"], "azp": None}, False),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, False),
        ({"aud": None}, False),
    ],
)
async def test_audience(flow: ShapedFlow, claims: dict, accepted: bool) -> None:
    flow.provider.claims = claims
    if accepted:
        await flow.sign_in()
    else:
        assert await flow.rejection() == "oidc_wrong_audience"


async def test_rejects_another_issuer(flow: ShapedFlow) -> None:
    flow.provider.claims = {"iss": "https://evil.example"}
    assert await flow.rejection() == "oidc_wrong_issuer"


async def test_rejects_a_token_for_another_nonce(flow: ShapedFlow) -> None:
    flow.provider.claims = {"nonce": "replayed"}
    assert await flow.rejection() == "oidc_nonce_mismatch"


@pytest.mark.parametrize("claims", [{"email_verified": None}, {"email_verified": "false"}, {"email": None}])
async def test_rejects_an_email_the_provider_does_not_vouch_for(flow: ShapedFlow, claims: dict) -> None:
    flow.provider.claims = claims
    assert await flow.rejection() == "oidc_email_unverified"


async def test_an_unknown_key_id_refreshes_the_jwks_once(flow: ShapedFlow, keys: list[RSAKey]) -> None:
    await flow.sign_in()
    await flow.sign_in()
    assert flow.provider.requests["/jwks"] == 1
    assert flow.provider.requests["/.well-known/openid-configuration"] == 1

    flow.provider.signing_key, flow.provider.published = keys[1], [keys[0], keys[1]]  # the provider rotates
    await flow.sign_in()
    assert flow.provider.requests["/jwks"] == 2

    flow.provider.signing_key = keys[2]  # a key the provider never publishes
    assert await flow.rejection() == "oidc_invalid_token"
    assert flow.provider.requests["/jwks"] == 3
    assert flow.provider.requests["/.well-known/openid-configuration"] == 1


async def test_concurrent_sign_ins_share_one_jwks_refresh(flow: ShapedFlow, keys: list[RSAKey]) -> None:
    await flow.sign_in()
    flow.provider.signing_key, flow.provider.published = keys[1], [keys[0], keys[1]]
    await asyncio.gather(*(flow.sign_in() for _ in range(4)))
    assert flow.provider.requests["/jwks"] == 2


async def test_a_discovery_document_for_another_issuer_is_refused(flow: ShapedFlow) -> None:
    flow.provider.advertised_issuer = "https://evil.example"
    with pytest.raises(Unavailable) as caught:
        await flow.adapter.begin(CALLBACK)
    assert caught.value.code == "oidc_provider_unavailable"


async def test_a_token_endpoint_in_trouble_is_unavailable(flow: ShapedFlow) -> None:
    flow.provider.token_status = 503
    with pytest.raises(Unavailable) as caught:
        await flow.sign_in()
    assert caught.value.code == "oidc_provider_unavailable"


async def test_an_unreachable_provider_is_unavailable() -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with OidcIdentityProvider(f"http://127.0.0.1:{port}", CLIENT_ID, CLIENT_SECRET, timeout_s=2) as adapter:
        with pytest.raises(Unavailable) as caught:
            await adapter.begin(CALLBACK)
        assert caught.value.code == "oidc_provider_unavailable"
        with pytest.raises(Unavailable):
            await adapter.complete(code="c", redirect_uri=CALLBACK, code_verifier="v" * 43, nonce="n")
