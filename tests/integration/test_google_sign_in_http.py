"""Google sign-in through the HTTP API against a real OpenID Connect provider
(``oidc-provider-mock`` on 127.0.0.1): start, the browser's visit to the provider, and the
callback that opens a session — new accounts, linked accounts, and every way the callback can
be wrong. The ID-token checks themselves (nonce, expiry, keys, audience) are covered at the
adapter level in ``test_google_oidc.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from aioomi.entrypoints.http.auth import SESSION_COOKIE
from tests.fakes.oidc_provider import (
    OidcTestProvider,
    ProviderRedirect,
    oidc_provider,  # noqa: F401 (the fixture)
)
from tests.integration.accounts_support import (
    PASSWORD,
    App,
    cookie_from,
    problem,
    serve,
    set_cookie_header,
    sign_in,
    sign_up,
    sign_up_and_verify,
    with_session,
)

BASE_URL = "http://testserver.local"  # the provider's default client is registered for it
CALLBACK = f"{BASE_URL}/api/v1/auth/google/callback"
CONSENT = {"adult": "true", "accepted_policy_version": CURRENT_POLICY_VERSION}


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path, oidc_provider: OidcTestProvider) -> AsyncIterator[App]:
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        base_url=BASE_URL,
        public_url=BASE_URL,
        google_client_id=oidc_provider.client_id,
        google_client_secret=oidc_provider.client_secret,
        google_issuer=oidc_provider.issuer,
    ) as served:
        yield served


def cookies_set_by(response: Any) -> dict[str, str]:
    """Every cookie a response sets (a browser would send them back to the callback)."""
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


class Browser:
    """One browser: what the start left in it goes back with the callback (explicitly, since
    the client keeps no Secure cookie over plain http)."""

    def __init__(self, app: App, provider: OidcTestProvider) -> None:
        self.app = app
        self.provider = provider
        self.cookies: dict[str, str] = {}

    async def start(self, **query: str) -> str:
        path = "/api/v1/auth/google/start" + (f"?{urlencode(query)}" if query else "")
        response = await self.app.client.get(path, follow_redirects=False, headers=cookie_header(self.cookies))
        self.app.client.cookies.clear()
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(self.provider.issuer), location
        sent = parse_qs(urlsplit(location).query)
        assert sent["redirect_uri"] == [CALLBACK] and sent["client_id"] == [self.provider.client_id]
        assert sent["code_challenge_method"] == ["S256"] and sent["nonce"] and sent["state"]
        self.cookies |= cookies_set_by(response)
        return location

    async def at_provider(
        self, *, email: str, name: str | None = "Grace Hopper", email_verified: bool = True, **query: str
    ) -> ProviderRedirect:
        location = await self.start(**query)
        redirect = self.provider.authorize(location, email=email, name=name, email_verified=email_verified)
        assert redirect.code and redirect.state and redirect.callback_url.startswith(CALLBACK)
        return redirect

    async def callback(self, url: str) -> Any:
        response = await self.app.client.get(url, follow_redirects=False, headers=cookie_header(self.cookies))
        self.app.client.cookies.clear()
        self.cookies |= {k: v for k, v in cookies_set_by(response).items() if v}
        return response

    async def sign_in(self, *, email: str, **person: Any) -> Any:
        redirect = await self.at_provider(email=email, **person)
        return await self.callback(redirect.callback_url)


@pytest.fixture
def browser(app: App, oidc_provider: OidcTestProvider) -> Browser:
    return Browser(app, oidc_provider)


def callback_url(**query: str) -> str:
    return f"{CALLBACK}?{urlencode(query)}"


async def account_of(app: App, session_token: str) -> dict[str, Any]:
    response = await app.client.get("/api/v1/account", headers=with_session(session_token))
    assert response.status_code == 200, response.text
    return response.json()


# -- new accounts -------------------------------------------------------------------------------


async def test_a_new_google_user_who_consented_gets_an_account_and_a_session(app: App, browser: Browser) -> None:
    policy = (await app.client.get("/api/v1/auth/policy")).json()["version"]

    response = await browser.sign_in(
        email="grace@example.com", name="Grace Hopper", adult="true", accepted_policy_version=policy
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    header = set_cookie_header(response)
    assert "HttpOnly" in header and "samesite=lax" in header.lower()
    assert "Secure" not in header  # AIOOMI_PUBLIC_URL is plain http here
    token = cookie_from(response)
    account = await account_of(app, token)
    assert account["email"] == "grace@example.com" and account["full_name"] == "Grace Hopper"
    assert account["sign_in_methods"] == ["google"] and account["email_verified"] is True
    assert account["accepted_policy_version"] == policy
    assert await app.count("accounts") == 1 and await app.count("owner_sessions") == 1

    # The session is a full one: its CSRF token lets it change things.
    who = (await app.client.get("/api/v1/auth/session", headers=with_session(token))).json()
    patched = await app.client.patch(
        "/api/v1/account", json={"full_name": "Rear Admiral Hopper"}, headers=with_session(token, who["csrf_token"])
    )
    assert patched.status_code == 200, patched.text

    # Next time no consent is asked: the same account, a new session.
    again = await Browser(app, browser.provider).sign_in(email="grace@example.com", name="Grace Hopper")
    assert again.status_code == 303, again.text
    assert cookie_from(again) != token
    assert (await account_of(app, cookie_from(again)))["id"] == account["id"]
    assert await app.count("accounts") == 1 and await app.count("owner_sessions") == 2


WITHOUT_CONSENT = {
    "none": {},
    "no policy": {"adult": "true"},
    "not 18+": {"accepted_policy_version": CURRENT_POLICY_VERSION},
    "18+ denied": {"adult": "false", "accepted_policy_version": CURRENT_POLICY_VERSION},
    "old policy": {"adult": "true", "accepted_policy_version": "2020-01-01"},
}


async def test_a_new_google_user_without_consent_is_422_and_nothing_is_stored(app: App, browser: Browser) -> None:
    for case, consent in WITHOUT_CONSENT.items():
        response = await Browser(app, browser.provider).sign_in(email="grace@example.com", **consent)

        problem(response, 422, "consent_required")
        assert "set-cookie" not in response.headers, case
        assert await app.count("accounts") == 0 and await app.count("owner_sessions") == 0, case


async def test_a_google_user_with_a_blank_name_still_gets_an_account(app: App, browser: Browser) -> None:
    response = await browser.sign_in(email="blank@example.com", name="   ", **CONSENT)

    assert response.status_code == 303, response.text
    assert (await account_of(app, cookie_from(response)))["full_name"].strip()


# -- existing accounts --------------------------------------------------------------------------


async def test_google_links_to_the_verified_password_account_with_the_same_email(app: App, browser: Browser) -> None:
    owner = await sign_up_and_verify(app, "ada@example.com")
    app.client.cookies.clear()

    response = await browser.sign_in(email="Ada@Example.com", name="Someone Else")  # no consent needed

    assert response.status_code == 303, response.text
    account = await account_of(app, cookie_from(response))
    assert account["id"] == owner.account_id
    assert account["sign_in_methods"] == ["password", "google"]
    assert account["email"] == "ada@example.com" and account["full_name"] == "Ada Lovelace"  # only linked
    assert await app.count("accounts") == 1
    assert (await sign_in(app.client, "ada@example.com", PASSWORD)).status_code == 200  # both methods work
    again = await Browser(app, browser.provider).sign_in(email="ada@example.com")
    assert (await account_of(app, cookie_from(again)))["id"] == owner.account_id


async def test_a_password_set_by_someone_who_never_proved_the_email_does_not_survive_google_sign_in(
    app: App, browser: Browser
) -> None:
    await sign_up(app.client, "victim@example.com", password="the attacker's password")  # never verified

    response = await browser.sign_in(email="victim@example.com", name="Victim", **CONSENT)

    assert response.status_code == 303, response.text
    attacker = await sign_in(app.client, "victim@example.com", "the attacker's password")
    assert attacker.status_code != 200, "the pre-registered password opens the Google user's account"


async def test_an_email_google_has_not_verified_is_refused(app: App, browser: Browser) -> None:
    await sign_up_and_verify(app, "ada@example.com")
    app.client.cookies.clear()

    for email in ("new@example.com", "ada@example.com"):
        response = await Browser(app, browser.provider).sign_in(email=email, email_verified=False, **CONSENT)

        problem(response, 401, "oidc_email_unverified")
        assert "set-cookie" not in response.headers
    assert await app.count("accounts") == 1 and await app.count("owner_sessions") == 1
    assert (await sign_in(app.client, "ada@example.com", PASSWORD)).json()["account"]["sign_in_methods"] == ["password"]


# -- a callback that is wrong -------------------------------------------------------------------


async def test_a_wrong_or_missing_state_is_refused(app: App, browser: Browser) -> None:
    redirect = await browser.at_provider(email="grace@example.com", **CONSENT)

    problem(
        await browser.callback(callback_url(code=redirect.code, state="forged-" + redirect.state[7:])),
        401,
        "oidc_state_invalid",
    )
    problem(await browser.callback(callback_url(code=redirect.code, state="x")), 401, "oidc_state_invalid")
    problem(await browser.callback(callback_url(code=redirect.code)), 401, "oidc_cancelled")
    problem(await browser.callback(callback_url(code=redirect.code, state="")), 401, "oidc_cancelled")
    problem(await browser.callback(callback_url(state=redirect.state)), 401, "oidc_cancelled")
    problem(await browser.callback(CALLBACK), 401, "oidc_cancelled")
    assert await app.count("accounts") == 0 and await app.count("owner_sessions") == 0

    # None of that used up the real sign-in.
    assert (await browser.callback(redirect.callback_url)).status_code == 303


async def test_a_denied_consent_at_the_provider_is_refused(app: App, browser: Browser) -> None:
    location = await browser.start(**CONSENT)
    redirect = browser.provider.deny(location)
    assert redirect.error == "access_denied" and redirect.code is None

    problem(await browser.callback(redirect.callback_url), 401, "oidc_cancelled")
    assert await app.count("accounts") == 0


async def test_a_replayed_callback_is_refused_the_second_time(app: App, browser: Browser) -> None:
    redirect = await browser.at_provider(email="grace@example.com", **CONSENT)

    first = await browser.callback(redirect.callback_url)
    second = await browser.callback(redirect.callback_url)

    assert first.status_code == 303, first.text
    problem(second, 401, "oidc_state_invalid")
    assert "set-cookie" not in second.headers
    assert await app.count("accounts") == 1 and await app.count("owner_sessions") == 1


async def test_a_state_from_another_sign_in_does_not_complete_this_one(app: App, browser: Browser) -> None:
    mine = await browser.at_provider(email="grace@example.com", **CONSENT)
    other = await Browser(app, browser.provider).at_provider(email="eve@example.com", **CONSENT)

    mixed = await browser.callback(callback_url(code=mine.code, state=other.state))

    assert mixed.status_code == 401, mixed.text  # the code was issued for another nonce and verifier
    assert await app.count("accounts") == 0


async def test_the_callback_only_completes_in_the_browser_that_started_it(
    app: App, browser: Browser, oidc_provider: OidcTestProvider
) -> None:
    attackers = await browser.at_provider(email="eve@example.com", name="Eve", **CONSENT)

    victim = Browser(app, oidc_provider)  # never started a sign-in
    response = await victim.callback(attackers.callback_url)

    assert response.status_code == 401, response.text
    assert SESSION_COOKIE not in victim.cookies


async def test_google_sign_in_is_404_when_not_configured(pg_conninfo: str, tmp_path: Path) -> None:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo, base_url=BASE_URL) as app:
        problem(
            await app.client.get("/api/v1/auth/google/start", follow_redirects=False), 404, "google_sign_in_disabled"
        )
        problem(
            await app.client.get(callback_url(code="c", state="s"), follow_redirects=False),
            404,
            "google_sign_in_disabled",
        )
