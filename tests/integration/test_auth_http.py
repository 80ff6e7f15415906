"""Sign-up, sign-in, sessions and API keys through the HTTP API on the Postgres container:
the whole journey, cookies, CSRF, sign-out, rate limits, answers that reveal nothing, and logs
that never hold a secret."""

from __future__ import annotations

from aioomi.domain.model import abuse
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from aioomi.entrypoints.http.auth import DEVICE_COOKIE, SESSION_COOKIE
from tests.integration.accounts_support import (
    PASSWORD,
    App,
    CapturedLogs,
    bearer,
    captured_logs,  # noqa: F401 (fixture)
    cookie_from,
    last_mail_to,
    link_token,
    pg_app,  # noqa: F401 (fixture)
    problem,
    run_jobs,
    set_cookie_header,
    sign_in,
    sign_up,
    sign_up_and_verify,
    sign_up_body,
    signed_in,
    verify_from_outbox,
    with_session,
)

EMAIL = "ada@example.com"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) JourneyBrowser/1.0"


async def test_the_owner_journey_from_sign_up_to_a_revoked_api_key(pg_app: App) -> None:
    client = pg_app.client
    await sign_up(client, EMAIL)
    refused = await sign_in(client, EMAIL)
    problem(refused, 403, "email_not_verified")

    owner = await verify_from_outbox(pg_app, client, EMAIL)
    response = await sign_in(client, EMAIL, PASSWORD, **{"user-agent": BROWSER})
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["account"]["id"] == owner.account_id and session["session_id"] != owner.session_id
    client.cookies.clear()
    csrf, cookie = session["csrf_token"], cookie_from(response)
    headers = with_session(cookie, csrf)

    account = (await client.get("/api/v1/account", headers=with_session(cookie))).json()
    assert account | {"created_at": None, "adult_attested_at": None} == {
        "id": owner.account_id,
        "email": EMAIL,
        "full_name": "Ada Lovelace",
        "sign_in_methods": ["password"],
        "email_verified": True,
        "status": "active",
        "accepted_policy_version": CURRENT_POLICY_VERSION,
        "created_at": None,
        "adult_attested_at": None,
        "pending_email": None,
    }

    patched = await client.patch("/api/v1/account", json={"full_name": "Augusta Ada King"}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["full_name"] == "Augusta Ada King"
    assert (await client.get("/api/v1/account", headers=headers)).json()["full_name"] == "Augusta Ada King"

    listed = (await client.get("/api/v1/account/sessions", headers=headers)).json()["data"]
    assert {s["id"] for s in listed} == {owner.session_id, session["session_id"]}
    current = next(s for s in listed if s["current"])
    assert current["id"] == session["session_id"]
    assert (current["ip"], current["user_agent"]) == ("testclient", BROWSER)
    assert [s["current"] for s in listed].count(True) == 1

    created = await client.post("/api/v1/api-keys", json={"name": "deploy", "scopes": ["agents:read"]}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    key = created.json()
    assert key["secret"].startswith(key["prefix"]) and key["name"] == "deploy"
    keys = (await client.get("/api/v1/api-keys", headers=headers)).json()["data"]
    assert [k["id"] for k in keys] == [key["id"]] and "secret" not in keys[0]
    assert key["secret"] not in (await client.get("/api/v1/api-keys", headers=headers)).text

    assert key["scopes"] == ["agents:read"] and keys[0]["scopes"] == ["agents:read"]
    by_key = await client.get("/api/v1/agents", headers=bearer(key["secret"]))
    assert by_key.status_code == 200, by_key.text
    problem(await client.get("/api/v1/account", headers=bearer(key["secret"])), 403, "session_required")
    who = (await client.get("/api/v1/auth/session", headers=bearer(key["secret"]))).json()
    assert who == {
        "account_id": owner.account_id,
        "via": "api_key",
        "session_id": None,
        "api_key_id": key["id"],
        "csrf_token": None,
        "scopes": ["agents:read"],
        "authenticated_at": None,
        "workspace_id": owner.account_id,  # the owner's own workspace, with the key's role
        "role": "owner",
    }

    revoked = await client.delete(f"/api/v1/api-keys/{key['id']}", headers=headers)
    assert revoked.status_code == 204, revoked.text
    problem(await client.get("/api/v1/agents", headers=bearer(key["secret"])), 401, "invalid_api_key")
    assert (await client.get("/api/v1/api-keys", headers=headers)).json()["data"] == []
    problem(await client.delete(f"/api/v1/api-keys/{key['id']}", headers=headers), 404, "api_key_not_found")


async def test_requests_without_valid_credentials_are_401(pg_app: App) -> None:
    client = pg_app.client
    problem(await client.get("/api/v1/account"), 401, "unauthenticated")
    problem(
        await client.get("/api/v1/account", headers={"authorization": "Basic YWRhOnB3"}), 401, "invalid_authorization"
    )
    problem(await client.get("/api/v1/account", headers={"authorization": "Bearer "}), 401, "invalid_authorization")
    problem(await client.get("/api/v1/account", headers=bearer("aio_" + "x" * 40)), 401, "invalid_api_key")
    problem(await client.get("/api/v1/account", headers=with_session("forged-token")), 401, "session_expired")


# -- cookies ------------------------------------------------------------------------------------


def cookie_attributes(header: str) -> dict[str, str]:
    name_value, *attributes = (part.strip() for part in header.split(";"))
    found = {"value": name_value.partition("=")[2]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        found[key.lower()] = value
    return found


async def test_the_session_cookie_is_httponly_and_lax(pg_app: App) -> None:
    # Its Secure attribute follows the public scheme: tests/integration/test_http_edge_security.py.
    owner = await sign_up_and_verify(pg_app, "owner@example.com")
    response = await sign_in(pg_app.client, owner.email)
    assert response.status_code == 200, response.text
    attributes = cookie_attributes(set_cookie_header(response))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert int(attributes["max-age"]) == 30 * 24 * 3600
    assert "domain" not in attributes


async def test_each_sign_in_gets_a_new_session_id_and_never_keeps_a_supplied_cookie(pg_app: App) -> None:
    owner = await sign_up_and_verify(pg_app, EMAIL)
    client = pg_app.client
    client.cookies.clear()

    first = await sign_in(client, EMAIL, **with_session("attacker-chosen-value"))
    second = await sign_in(client, EMAIL, **with_session(cookie_from(first)))

    assert first.status_code == second.status_code == 200
    ids = {owner.session_id, first.json()["session_id"], second.json()["session_id"]}
    tokens = {owner.session_token, cookie_from(first), cookie_from(second), "attacker-chosen-value"}
    csrfs = {owner.csrf, first.json()["csrf_token"], second.json()["csrf_token"]}
    assert len(ids) == 3 and len(tokens) == 4 and len(csrfs) == 3
    problem(await client.get("/api/v1/account", headers=with_session("attacker-chosen-value")), 401)
    for token in (owner.session_token, cookie_from(first), cookie_from(second)):
        assert (await client.get("/api/v1/account", headers=with_session(token))).status_code == 200


# -- CSRF ---------------------------------------------------------------------------------------


async def test_unsafe_cookie_requests_need_the_sessions_csrf_token_and_api_keys_need_none(pg_app: App) -> None:
    owner = await sign_up_and_verify(pg_app, EMAIL)
    other = await signed_in(pg_app.client, owner)  # the same account, another session
    client = pg_app.client
    client.cookies.clear()
    cookie = with_session(owner.session_token)

    for sent in ({}, {"x-csrf-token": ""}, {"x-csrf-token": "wrong"}, {"x-csrf-token": other.csrf}):
        problem(
            await client.patch("/api/v1/account", json={"full_name": "Mallory"}, headers=cookie | sent),
            403,
            "csrf_failed",
        )
    problem(await client.post("/api/v1/api-keys", json={"name": "x"}, headers=cookie), 403, "csrf_failed")
    problem(await client.delete(f"/api/v1/account/sessions/{other.session_id}", headers=cookie), 403, "csrf_failed")
    problem(await client.post("/api/v1/auth/sign-out", headers=cookie), 403, "csrf_failed")
    problem(await client.post("/api/v1/auth/sign-out-everywhere", headers=cookie), 403, "csrf_failed")
    problem(
        await client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "another passphrase"},
            headers=cookie,
        ),
        403,
        "csrf_failed",
    )
    # None of it happened.
    account = await client.get("/api/v1/account", headers=cookie)  # safe methods need no token
    assert account.status_code == 200 and account.json()["full_name"] == "Ada Lovelace"
    assert (await client.get("/api/v1/api-keys", headers=cookie)).json()["data"] == []
    assert (await client.get("/api/v1/account", headers=other.headers())).status_code == 200
    assert (await sign_in(client, EMAIL, PASSWORD)).status_code == 200

    done = await client.patch("/api/v1/account", json={"full_name": "Ada King"}, headers=owner.headers())
    assert done.status_code == 200 and done.json()["full_name"] == "Ada King"

    created = await client.post(
        "/api/v1/api-keys", json={"name": "bot", "scopes": ["agents:write"]}, headers=owner.headers()
    )
    secret = created.json()["secret"]
    by_key = await client.post("/api/v1/agents", json={"name": "By key"}, headers=bearer(secret))
    assert by_key.status_code == 201, by_key.text  # an API key needs no CSRF token
    # ... but it never reaches account security (issue 12: takeover through an API key).
    problem(
        await client.patch("/api/v1/account", json={"full_name": "Ada by key"}, headers=bearer(secret)),
        403,
        "session_required",
    )
    problem(
        await client.post(
            "/api/v1/api-keys", json={"name": "bot 2", "scopes": ["agents:read"]}, headers=bearer(secret)
        ),
        403,
        "session_required",
    )


# -- sign-out -----------------------------------------------------------------------------------


async def test_sign_out_ends_this_session_and_sign_out_everywhere_ends_them_all(pg_app: App) -> None:
    owner = await sign_up_and_verify(pg_app, EMAIL)
    second = await signed_in(pg_app.client, owner)
    third = await signed_in(pg_app.client, owner)
    client = pg_app.client
    client.cookies.clear()

    out = await client.post("/api/v1/auth/sign-out", headers=owner.headers())
    assert out.status_code == 204, out.text
    cleared = cookie_attributes(set_cookie_header(out))
    assert cleared["value"] in ("", '""') and (cleared.get("max-age") == "0" or "expires" in cleared)
    problem(await client.get("/api/v1/account", headers=owner.headers()), 401, "session_expired")
    assert (await client.get("/api/v1/account", headers=second.headers())).status_code == 200

    everywhere = await client.post("/api/v1/auth/sign-out-everywhere", headers=second.headers())
    assert everywhere.status_code == 200 and everywhere.json() == {"revoked": 2, "revoked_api_keys": 0}
    assert f"{SESSION_COOKIE}=" in set_cookie_header(everywhere)
    for gone in (second, third):
        problem(await client.get("/api/v1/account", headers=gone.headers()), 401, "session_expired")
    assert (await sign_in(client, EMAIL)).status_code == 200  # the password still works


async def test_revoking_one_session_from_another(pg_app: App) -> None:
    owner = await sign_up_and_verify(pg_app, EMAIL)
    phone = await signed_in(pg_app.client, owner)
    client = pg_app.client
    client.cookies.clear()

    response = await client.delete(f"/api/v1/account/sessions/{phone.session_id}", headers=owner.headers())

    assert response.status_code == 204, response.text
    problem(await client.get("/api/v1/account", headers=phone.headers()), 401)
    listed = (await client.get("/api/v1/account/sessions", headers=owner.headers())).json()["data"]
    assert [s["id"] for s in listed] == [owner.session_id]


# -- rate limits --------------------------------------------------------------------------------


async def test_too_many_sign_ins_get_429_with_retry_after(pg_app: App) -> None:
    await sign_up_and_verify(pg_app, EMAIL)
    for _ in range(abuse.SIGN_IN_PER_ACCOUNT_AND_IP.limit):
        problem(await sign_in(pg_app.client, EMAIL, "not the password"), 401, "invalid_credentials")

    limited = await sign_in(pg_app.client, EMAIL, PASSWORD)

    problem(limited, 429, "rate_limited")
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= abuse.SIGN_IN_PER_ACCOUNT_AND_IP.window.total_seconds()
    assert "set-cookie" not in limited.headers


# -- answers that reveal nothing ----------------------------------------------------------------


def shape(response) -> tuple:
    return response.status_code, response.headers["content-type"], response.json()


async def test_sign_up_resend_and_reset_answer_alike_for_registered_and_unknown_emails(pg_app: App) -> None:
    client = pg_app.client
    await sign_up_and_verify(pg_app, "verified@example.com")
    await sign_up(client, "unverified@example.com")

    signups = [
        await client.post("/api/v1/auth/signup", json=sign_up_body(email, full_name="Someone"))
        for email in ("verified@example.com", "UNVERIFIED@example.com", "new@example.com")
    ]
    resends = [
        await client.post("/api/v1/auth/verify-email/resend", json={"email": email})
        for email in ("verified@example.com", "unverified@example.com", "unknown@example.com")
    ]
    resets = [
        await client.post("/api/v1/auth/password-reset", json={"email": email})
        for email in ("verified@example.com", "unverified@example.com", "unknown@example.com")
    ]

    for answers in (signups, resends, resets):
        assert answers[0].status_code == 202, answers[0].text
        assert len({repr(shape(r)) for r in answers}) == 1, [shape(r) for r in answers]
        assert all("set-cookie" not in r.headers for r in answers)
    # No request mailed anything itself (a relay's delay or failure cannot tell them apart)...
    kinds = [(m.to, m.kind) for m in pg_app.outbox()]
    assert ("verified@example.com", "signup_attempt") not in kinds and ("new@example.com", "verify_email") not in kinds
    # ... the jobs did: what each really did is in the outbox, where only the mailbox owner sees it.
    await run_jobs(pg_app)
    kinds = [(m.to, m.kind) for m in pg_app.outbox()]
    assert ("verified@example.com", "signup_attempt") in kinds
    assert ("new@example.com", "verify_email") in kinds
    assert not [m for m in pg_app.outbox() if m.to == "unknown@example.com"]


# -- logs ---------------------------------------------------------------------------------------


async def test_secrets_never_reach_the_logs(pg_app: App, captured_logs: CapturedLogs) -> None:
    client = pg_app.client
    new_password, changed_password = "reset passphrase 42", "changed passphrase 43"
    owner = await sign_up_and_verify(pg_app, EMAIL)
    verify_link = link_token(last_mail_to(pg_app.outbox(), EMAIL, "verify_email"))
    problem(await sign_in(client, EMAIL, "a wrong guess 123"), 401)
    problem(await client.post("/api/v1/auth/verify-email", json={"token": verify_link}), 422, "invalid_token")
    again = await signed_in(client, owner)
    created = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:read"]}, headers=again.headers()
    )
    secret = created.json()["secret"]
    assert (await client.get("/api/v1/agents", headers=bearer(secret))).status_code == 200
    problem(
        await client.patch("/api/v1/account", json={"full_name": "X"}, headers=with_session(again.session_token)),
        403,
        "csrf_failed",
    )
    await client.post("/api/v1/auth/password-reset", json={"email": EMAIL})
    await run_jobs(pg_app)
    reset_link = link_token(last_mail_to(pg_app.outbox(), EMAIL, "reset_password"))
    reset = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": reset_link, "new_password": new_password}
    )
    assert reset.status_code == 204, reset.text
    latest = await sign_in(client, EMAIL, new_password)
    client.cookies.clear()
    changed = await client.post(
        "/api/v1/auth/password",
        json={"current_password": new_password, "new_password": changed_password},
        headers=with_session(cookie_from(latest), latest.json()["csrf_token"]),
    )
    assert changed.status_code == 204, changed.text
    problem(await client.get("/api/v1/agents", headers=bearer(secret + "x")), 401)

    # The development mailer logs its links on purpose (a developer clicks them); nothing else may.
    logged = captured_logs.text(except_loggers=("aioomi.adapters.local.outbox_mailer",))
    assert "/api/v1/auth/sign-in" in logged and "aioomi.access" in captured_logs.names()  # the capture works
    secrets = {
        "password": PASSWORD,
        "wrong guess": "a wrong guess 123",
        "reset password": new_password,
        "changed password": changed_password,
        "api key": secret,
        "api key body": secret[len("aio_") :],
        "verify link": verify_link,
        "reset link": reset_link,
        "session (verify)": owner.session_token,
        "session (sign-in)": again.session_token,
        "session (latest)": cookie_from(latest),
        "device cookie": cookie_from(latest, DEVICE_COOKIE),
        "csrf": again.csrf,
        "csrf (latest)": latest.json()["csrf_token"],
    }
    leaked = {name for name, value in secrets.items() if value in logged}
    assert not leaked, leaked
