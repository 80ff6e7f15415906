"""Issue 12 through the HTTP API, on both backends: the takeover paths it describes are closed
(API keys, stale sessions, e-mail change), device cookies, answers that reveal nothing, tokens
kept out of the logs, and the e-mail confirmation page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import _newcomer_on_loopback
from aioomi.domain.model import abuse
from aioomi.domain.model.errors import Unavailable
from aioomi.domain.model.mail import EmailMessage
from aioomi.entrypoints.http.app import create_app
from aioomi.entrypoints.http.auth import DEVICE_COOKIE, SESSION_COOKIE, required_scope
from aioomi.settings import Settings
from tests.integration.accounts_support import (
    PASSWORD,
    App,
    CapturedLogs,
    Owner,
    bearer,
    captured_logs,  # noqa: F401 (fixture)
    cookie_from,
    last_mail_to,
    link_token,
    mails_to,
    problem,
    run_jobs,
    run_sign_up_mail_jobs,
    serve,
    set_cookie_header,
    sign_in,
    sign_up,
    sign_up_and_verify,
    signed_in,
)

ALL_SCOPES = [
    "agents:read",
    "agents:write",
    "knowledge:read",
    "knowledge:write",
    "conversations:read",
    "conversations:write",
    "usage:read",
    "usage:write",
]
EMAIL = "ada@example.com"


@pytest.fixture(params=["postgres", "memory"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    return request.param, request.getfixturevalue("pg_conninfo") if request.param == "postgres" else None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
async def app(backend: tuple[str, str | None], tmp_path: Path, clock: ManualClock) -> AsyncIterator[App]:
    async with serve(
        backend[0], tmp_path / "aioomi", backend[1], configure=lambda c: c.clock.override(providers.Object(clock))
    ) as served:
        yield served


async def new_key(app: App, owner: Owner, scopes: list[str]) -> str:
    created = await app.client.post("/api/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=owner.headers())
    assert created.status_code == 201, created.text
    return created.json()["secret"]


# The account-security operations of issue 12, each as (method, path, body).
def security_operations(owner: Owner) -> list[tuple[str, str, dict | None]]:
    return [
        ("PATCH", "/api/v1/account", {"email": "mallory@evil.example", "current_password": PASSWORD}),
        ("POST", "/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "mallory's passphrase"}),
        ("POST", "/api/v1/api-keys", {"name": "more", "scopes": ALL_SCOPES}),
        ("GET", "/api/v1/api-keys", None),
        ("GET", "/api/v1/account/sessions", None),
        ("DELETE", f"/api/v1/account/sessions/{owner.session_id}", None),
        ("POST", "/api/v1/auth/sign-out-everywhere", None),
        ("POST", "/api/v1/account/export", None),
        # issue 21: a workspace's export and its deletion
        ("POST", f"/api/v1/workspaces/{owner.account_id}/export", None),
        ("DELETE", f"/api/v1/workspaces/{owner.account_id}", {"confirm_name": "My workspace"}),
        ("DELETE", "/api/v1/account", {"password": PASSWORD}),
    ]


# -- API keys: scopes, and never account security ----------------------------------------------


async def test_an_api_key_never_reaches_account_security_whatever_its_scopes(app: App) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    secret = await new_key(app, owner, ALL_SCOPES)
    before = {"mails": len(app.outbox()), "keys": await app.count("api_keys")}

    for method, path, body in security_operations(owner):
        response = await app.client.request(method, path, json=body, headers=bearer(secret))
        problem(response, 403, "session_required")
    problem(
        await app.client.post("/api/v1/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(secret)),
        403,
        "session_required",
    )
    # Nor the account's other routes: no scope names them.
    for method, path in (
        ("GET", "/api/v1/account"),
        ("PUT", "/api/v1/account/privacy/restriction"),
        ("GET", "/api/v1/account/audit-log"),
        ("POST", "/api/v1/auth/sign-out"),
        ("GET", "/api/v1/request-log"),
    ):
        problem(await app.client.request(method, path, headers=bearer(secret)), 403, "session_required")

    assert {"mails": len(app.outbox()), "keys": await app.count("api_keys")} == before
    account = (await app.client.get("/api/v1/account", headers=owner.headers())).json()
    assert (account["email"], account["status"]) == (EMAIL, "active")
    assert (await app.client.get("/api/v1/agents", headers=bearer(secret))).status_code == 200  # still a live key


async def test_a_key_is_held_to_its_scopes_on_the_owner_api(app: App) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    reader = await new_key(app, owner, ["agents:read"])
    agent = (await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=owner.headers())).json()

    assert (await app.client.get("/api/v1/agents", headers=bearer(reader))).status_code == 200
    assert (await app.client.get(f"/api/v1/agents/{agent['id']}", headers=bearer(reader))).status_code == 200
    refused = [
        ("POST", "/api/v1/agents", {"name": "x"}),
        ("PATCH", f"/api/v1/agents/{agent['id']}", {"name": "y"}),
        ("DELETE", f"/api/v1/agents/{agent['id']}", None),
        ("GET", f"/api/v1/agents/{agent['id']}/documents", None),
        ("POST", f"/api/v1/agents/{agent['id']}/search", {"query": "hours"}),
        ("GET", f"/api/v1/agents/{agent['id']}/sessions", None),
        ("GET", "/api/v1/usage", None),
    ]
    for method, path, body in refused:
        problem(await app.client.request(method, path, json=body, headers=bearer(reader)), 403, "insufficient_scope")
    assert (await app.client.get(f"/api/v1/agents/{agent['id']}", headers=owner.headers())).json()["name"] == "Helper"

    writer = await new_key(app, owner, ["knowledge:read", "agents:write"])
    assert (
        await app.client.post(f"/api/v1/agents/{agent['id']}/search", json={"query": "hours"}, headers=bearer(writer))
    ).status_code == 200  # a read-only POST
    problem(await app.client.get("/api/v1/agents", headers=bearer(writer)), 403, "insufficient_scope")
    assert (
        await app.client.patch(f"/api/v1/agents/{agent['id']}", json={"name": "Renamed"}, headers=bearer(writer))
    ).status_code == 200
    listed = (await app.client.get("/api/v1/api-keys", headers=owner.headers())).json()["data"]
    assert sorted(k["scopes"] for k in listed) == [["agents:read"], ["agents:write", "knowledge:read"]]


def test_every_owner_route_needs_a_scope_or_a_session(tmp_path: Path) -> None:
    """Walk the app's routes: each one that authenticates an owner either names the scope a key
    needs, or is one of the account's own routes, which no key reaches."""
    from aioomi.container import container_in_memory

    app = create_app(container_in_memory(settings=Settings(data_dir=str(tmp_path))), manage_lifecycle=False)
    session_only, scoped = set(), {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "principal" not in handler.resolve_dependencies() or "OPTIONS" in handler.http_methods:
                continue
            for method in handler.http_methods:
                scope = required_scope(route.path, method)
                if scope is None:
                    session_only.add((method, route.path))
                else:
                    scoped[(method, route.path)] = str(scope)
    # The request log (IP addresses, every call's route) is the account's own record: no key reads it.
    # Webhook endpoints decide where the account's data is sent and show signing secrets: sessions only.
    # Workspaces, members and invitations (who may act in the workspace at all): sessions only.
    strays = {
        (m, p)
        for m, p in session_only
        if not p.startswith(
            (
                "/api/v1/account",
                "/api/v1/api-keys",
                "/api/v1/auth/",
                "/api/v1/request-log",
                "/api/v1/webhook-endpoints",
                "/api/v1/workspace",
                "/api/v1/invitations",
            )
        )
    }
    assert strays == set()
    assert scoped[("GET", "/api/v1/agents")] == "agents:read"
    assert scoped[("POST", "/api/v1/agents/{agent_id:str}/documents")] == "knowledge:write"
    assert scoped[("DELETE", "/api/v1/chat-sessions/{session_id:str}")] == "conversations:write"
    assert scoped[("GET", "/api/v1/usage")] == "usage:read"
    assert scoped[("POST", "/v1/chat/completions")] == "conversations:write"
    assert {
        ("PATCH", "/api/v1/account"),
        ("POST", "/api/v1/api-keys"),
        ("POST", "/api/v1/account/export"),
        ("DELETE", "/api/v1/account"),
        ("GET", "/api/v1/account/sessions"),
    } <= session_only


# -- re-authentication ---------------------------------------------------------------------------


async def test_a_stale_session_must_re_enter_its_password_before_account_security(app: App, clock: ManualClock) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    app.client.cookies.clear()
    assert (await app.client.get("/api/v1/api-keys", headers=owner.headers())).status_code == 200  # signed in now
    clock.advance(timedelta(minutes=10, seconds=1))

    for method, path, body in security_operations(owner):
        problem(
            await app.client.request(method, path, json=body, headers=owner.headers()), 403, "reauthentication_required"
        )
    # Everything else still works in the session.
    assert (await app.client.get("/api/v1/agents", headers=owner.headers())).status_code == 200
    assert (await app.client.get("/api/v1/account", headers=owner.headers())).status_code == 200
    assert (
        await app.client.patch("/api/v1/account", json={"full_name": "Ada King"}, headers=owner.headers())
    ).status_code == 403  # the profile route is account security as a whole

    problem(
        await app.client.post("/api/v1/auth/reauthenticate", json={"password": "wrong"}, headers=owner.headers()),
        422,
        "wrong_password",
    )
    problem(
        await app.client.post(
            "/api/v1/auth/reauthenticate", json={"password": PASSWORD}, headers=owner.headers(csrf=False)
        ),
        403,
        "csrf_failed",
    )
    done = await app.client.post("/api/v1/auth/reauthenticate", json={"password": PASSWORD}, headers=owner.headers())
    assert done.status_code == 200, done.text
    assert datetime.fromisoformat(done.json()["valid_until"]) == clock.now() + timedelta(minutes=10)

    assert (
        await app.client.post(
            "/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]}, headers=owner.headers()
        )
    ).status_code == 201
    who = (await app.client.get("/api/v1/auth/session", headers=owner.headers())).json()
    assert datetime.fromisoformat(who["authenticated_at"]) == clock.now() and who["scopes"] is None


async def test_the_window_is_configurable(tmp_path: Path, clock: ManualClock) -> None:
    async with serve(
        "memory",
        tmp_path / "aioomi",
        reauth_window_min=2,
        configure=lambda c: c.clock.override(providers.Object(clock)),
    ) as app:
        owner = await sign_up_and_verify(app, EMAIL)
        clock.advance(timedelta(minutes=2, seconds=1))
        problem(await app.client.get("/api/v1/api-keys", headers=owner.headers()), 403, "reauthentication_required")


# -- the e-mail change of the takeover -----------------------------------------------


async def test_an_email_change_needs_the_password_tells_the_old_address_and_can_be_undone(app: App) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    app.client.cookies.clear()
    secret = await new_key(app, owner, ALL_SCOPES)
    problem(
        await app.client.patch("/api/v1/account", json={"email": "mallory@evil.example"}, headers=owner.headers()),
        422,
        "wrong_password",
    )
    assert mails_to(app.outbox(), "mallory@evil.example") == []

    changed = await app.client.patch(
        "/api/v1/account", json={"email": "mallory@evil.example", "current_password": PASSWORD}, headers=owner.headers()
    )
    assert changed.status_code == 200 and changed.json()["pending_email"] == "mallory@evil.example"

    confirm = link_token(last_mail_to(app.outbox(), "mallory@evil.example", "email_change"))
    page = await app.client.get(f"/verify-email?token={confirm}")
    assert "mallory@evil.example" in page.text and "does not sign you in" in page.text
    async with app.another_client() as elsewhere:  # whoever holds the new mailbox
        confirmed = await elsewhere.post("/api/v1/auth/verify-email", json={"token": confirm})
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["signed_in"] is False and confirmed.json()["session_id"] is None
        assert not [h for h in confirmed.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")]
        assert confirmed.json()["account"]["email"] == "mallory@evil.example"

    notice = last_mail_to(app.outbox(), EMAIL, "email_change_notice")
    assert "mallory@evil.example" in notice.text
    cancel_page = await app.client.get(f"/cancel-email-change?token={link_token(notice)}")
    assert cancel_page.status_code == 200 and "sign out everywhere" in cancel_page.text.lower()
    cancelled = await app.client.post("/api/v1/auth/email-change/cancel", json={"token": link_token(notice)})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == {"email": EMAIL, "restored": True, "sessions_revoked": 1, "api_keys_revoked": 1}

    problem(await app.client.get("/api/v1/account", headers=owner.headers()), 401, "session_expired")
    problem(await app.client.get("/api/v1/agents", headers=bearer(secret)), 401, "invalid_api_key")
    assert (await sign_in(app.client, EMAIL)).status_code == 200
    problem(await sign_in(app.client, "mallory@evil.example"), 401, "invalid_credentials")


async def test_the_reset_page_and_api_offer_to_revoke_every_api_key(app: App) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    app.client.cookies.clear()
    keep, lose = await new_key(app, owner, ["agents:read"]), None
    await app.client.post("/api/v1/auth/password-reset", json={"email": EMAIL})
    await run_jobs(app)
    token = link_token(last_mail_to(app.outbox(), EMAIL, "reset_password"))
    page = await app.client.get(f"/reset-password?token={token}")
    assert 'name="revoke_api_keys"' in page.text

    kept = await app.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "a new passphrase 1"}
    )
    assert kept.status_code == 204
    assert (await app.client.get("/api/v1/agents", headers=bearer(keep))).status_code == 200

    again = await signed_in(app.client, Owner(owner.account_id, EMAIL, "a new passphrase 1", "", "", ""))
    lose = await new_key(app, again, ["agents:read"])
    await app.client.post("/api/v1/auth/password-reset", json={"email": EMAIL})
    await run_jobs(app)
    token = link_token(last_mail_to(app.outbox(), EMAIL, "reset_password"))
    revoked = await app.client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "a new passphrase 2", "revoke_api_keys": True},
    )
    assert revoked.status_code == 204
    for secret in (keep, lose):
        problem(await app.client.get("/api/v1/agents", headers=bearer(secret)), 401, "invalid_api_key")


# -- device cookies -------------------------------------------------------------------------------


async def test_a_browser_that_signed_in_keeps_signing_in_when_strangers_lock_the_account(app: App) -> None:
    await sign_up_and_verify(app, EMAIL)
    async with app.another_client() as owners_browser:
        first = await sign_in(owners_browser, EMAIL)
        assert first.status_code == 200
        cookie = set_cookie_header(first, DEVICE_COOKIE).lower()
        assert "httponly" in cookie and "path=/api/v1/auth" in cookie and "samesite=strict" in cookie
        assert cookie_from(first, DEVICE_COOKIE) != cookie_from(first)

        # The same test address: the per-(account, IP) lock, of which the owner's first sign-in
        # (from a browser not yet trusted) used one.
        async with app.another_client() as attacker:
            for _ in range(abuse.SIGN_IN_PER_ACCOUNT_AND_IP.limit - 1):
                problem(await sign_in(attacker, EMAIL, "a wrong guess"), 401, "invalid_credentials")
            problem(await sign_in(attacker, EMAIL), 429, "rate_limited")  # a stranger's browser is locked

        again = await sign_in(owners_browser, EMAIL)  # it sends its device cookie
        assert again.status_code == 200, again.text
        assert DEVICE_COOKIE not in " ".join(again.headers.get_list("set-cookie"))  # still trusted, not re-issued


# -- nothing revealed, nothing logged --------------------------------------------------------------


class FailingMailer:
    async def send(self, message: EmailMessage) -> None:
        raise Unavailable("The relay is down.", code="mail_unavailable")


def answer(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "x-request-id", "content-length")}
    return response.status_code, headers, response.json()


@pytest.mark.parametrize("path", ["/api/v1/auth/password-reset", "/api/v1/auth/verify-email/resend"])
async def test_known_and_unknown_addresses_get_the_same_answer_even_when_the_relay_fails(
    backend: tuple[str, str | None], tmp_path: Path, path: str
) -> None:
    answers = []
    for failing in (False, True):
        async with serve(backend[0], tmp_path / f"aioomi{failing}", backend[1]) as app:
            await sign_up(app.client, "unverified@example.com")
            if failing:
                app.container.mailer.override(providers.Object(FailingMailer()))
            for email in ("unverified@example.com", "unknown@example.com"):
                answers.append(answer(await app.client.post(path, json={"email": email})))
            await run_jobs(app)  # the relay's failure stays in the worker
    assert answers[0][0] == 202
    assert all(a == answers[0] for a in answers), answers


def test_links_are_logged_only_on_the_embedded_default_bound_to_the_loopback() -> None:
    assert _newcomer_on_loopback(Settings())
    assert _newcomer_on_loopback(Settings(public_url="http://localhost:8000"))
    assert not _newcomer_on_loopback(Settings(host="0.0.0.0"))
    assert not _newcomer_on_loopback(Settings(public_url="https://aioomi.example.com"))
    assert not _newcomer_on_loopback(Settings(database_url="postgresql://db.internal/aioomi"))


@pytest.mark.parametrize("public_url", ["http://127.0.0.1", "https://aioomi.example.com"])
async def test_reset_and_verification_tokens_reach_the_log_only_on_the_loopback_first_run(
    tmp_path: Path, captured_logs: CapturedLogs, public_url: str
) -> None:
    async with serve("memory", tmp_path / "aioomi", public_url=public_url) as app:
        await sign_up(app.client, EMAIL)
        await app.client.post("/api/v1/auth/verify-email/resend", json={"email": EMAIL})
        await app.client.post("/api/v1/auth/password-reset", json={"email": EMAIL})
        await run_jobs(app)
        tokens = [link_token(m) for m in app.outbox()]
        logged = captured_logs.text()
    assert len(tokens) == 3 and "mail to ada@example.com" in logged  # the capture works
    shown = [t for t in tokens if t in logged]
    assert shown == (tokens if public_url == "http://127.0.0.1" else [])


# -- the e-mail confirmation page (login CSRF) ------------------------------------------------------


async def test_the_confirmation_page_names_the_address_and_refuses_while_another_owner_is_signed_in(app: App) -> None:
    await sign_up(app.client, "mallory@evil.example")
    await run_sign_up_mail_jobs(app)
    attackers_link = link_token(last_mail_to(app.outbox(), "mallory@evil.example", "verify_email"))
    victim = await sign_up_and_verify(app, EMAIL)  # the client is now the victim's signed-in browser
    assert app.client.cookies.get(SESSION_COOKIE) == victim.session_token

    page = await app.client.get(f"/verify-email?token={attackers_link}")
    assert "mallory@evil.example" in page.text and 'id="other-owner"' in page.text
    assert 'data-api="/api/v1/auth/verify-email"' not in page.text  # no form to submit
    refused = await app.client.post("/api/v1/auth/verify-email", json={"token": attackers_link})
    problem(refused, 403, "signed_in_as_another_owner")
    assert (await app.client.get("/api/v1/account")).json()["id"] == victim.account_id  # still the victim

    async with app.another_client() as fresh:
        page = await fresh.get(f"/verify-email?token={attackers_link}")
        assert 'Confirm <strong id="confirming">mallory@evil.example</strong>' in page.text


async def test_the_account_page_asks_for_the_password_once_the_window_has_passed(app: App, clock: ManualClock) -> None:
    await sign_up_and_verify(app, EMAIL)  # the client holds the session
    page = await app.client.get("/dashboard/account")
    assert page.status_code == 200 and 'id="reauth"' not in page.text
    assert 'name="scopes" value="agents:write"' in page.text and 'name="revoke_api_keys"' in page.text
    assert 'name="current_password"' in page.text  # the email change asks for it

    clock.advance(timedelta(minutes=11))
    page = await app.client.get("/dashboard/account")
    assert 'id="reauth"' in page.text and 'data-api="/api/v1/auth/reauthenticate"' in page.text


async def test_the_account_page_lists_sessions_and_keys_only_within_the_reauthentication_window(
    app: App, clock: ManualClock
) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    created = await app.client.post(
        "/api/v1/api-keys", json={"name": "deploy-bot", "scopes": ["agents:read"]}, headers=owner.headers()
    )
    assert created.status_code == 201, created.text
    prefix = created.json()["prefix"]
    page = await app.client.get("/dashboard/account")
    assert prefix in page.text and "deploy-bot" in page.text and "This browser" in page.text
    assert 'id="keys-hidden"' not in page.text and 'id="sessions-hidden"' not in page.text

    clock.advance(timedelta(minutes=11))  # past the 10-minute window: the API routes refuse
    problem(await app.client.get("/api/v1/api-keys", headers=owner.headers()), 403, "reauthentication_required")
    page = await app.client.get("/dashboard/account")
    assert page.status_code == 200 and 'id="reauth"' in page.text
    for secret in (prefix, "deploy-bot", "agents:read</td>", "This browser"):
        assert secret not in page.text, secret
    assert 'id="keys-hidden"' in page.text and 'id="sessions-hidden"' in page.text

    confirmed = await app.client.post(
        "/api/v1/auth/reauthenticate", json={"password": PASSWORD}, headers=owner.headers()
    )
    assert confirmed.status_code == 200, confirmed.text
    page = await app.client.get("/dashboard/account")
    assert prefix in page.text and "deploy-bot" in page.text and 'id="reauth"' not in page.text
