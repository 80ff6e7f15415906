"""Bad input on the sign-up and sign-in surface: every refusal is a 4xx problem document (with
``errors`` naming the field for validation failures), and nothing is stored or mailed.
Run on Postgres and on memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.accounts_support import (
    PASSWORD,
    App,
    Owner,
    problem,
    run_sign_up_mail_jobs,
    serve,
    sign_up_and_verify,
    sign_up_body,
)

EMAIL = "ada@example.com"
TABLES = ("accounts", "owner_sessions", "api_keys", "one_time_tokens")


@pytest.fixture(params=["postgres", "memory"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    return request.param, request.getfixturevalue("pg_conninfo") if request.param == "postgres" else None


@pytest.fixture
async def app(backend: tuple[str, str | None], tmp_path: Path) -> AsyncIterator[App]:
    async with serve(backend[0], tmp_path / "aioomi", backend[1]) as served:
        yield served


async def stored(app: App) -> dict[str, int]:
    return {table: await app.count(table) for table in TABLES} | {"mails": len(app.outbox())}


NOTHING = dict.fromkeys((*TABLES, "mails"), 0)


def without(field: str) -> dict[str, Any]:
    body = sign_up_body(EMAIL)
    del body[field]
    return body


# (body, code, field) — status 422 for all.
BAD_SIGN_UPS: dict[str, tuple[dict[str, Any], str, str]] = {
    "no @": (sign_up_body("plainaddress"), "invalid_email", "email"),
    "two @": (sign_up_body("ada@@example.com"), "invalid_email", "email"),
    "space": (sign_up_body("ada lovelace@example.com"), "invalid_email", "email"),
    "no domain dot": (sign_up_body("ada@localhost"), "invalid_email", "email"),
    "domain starts with -": (sign_up_body("ada@-example.com"), "invalid_email", "email"),
    "header injection": (sign_up_body("ada@example.com\r\nBcc: eve@example.com"), "invalid_email", "email"),
    "too short email": (sign_up_body("a@"), "validation_failed", "email"),
    "too long email": (sign_up_body("a" * 250 + "@example.com"), "validation_failed", "email"),
    "email not a string": (sign_up_body(42), "validation_failed", "email"),  # type: ignore[arg-type]
    "email null": (sign_up_body(None), "validation_failed", "email"),  # type: ignore[arg-type]
    "too long name": (sign_up_body(EMAIL, full_name="A" * 201), "validation_failed", "full_name"),
    "empty name": (sign_up_body(EMAIL, full_name=""), "validation_failed", "full_name"),
    "blank name": (sign_up_body(EMAIL, full_name=" \t "), "invalid_name", "full_name"),
    "control character in name": (sign_up_body(EMAIL, full_name="Ada\x00Lovelace"), "invalid_name", "full_name"),
    "too long password": (sign_up_body(EMAIL, password="x" * 1025), "validation_failed", "password"),
    "too short password": (sign_up_body(EMAIL, password="2short!"), "validation_failed", "password"),
    "common password": (sign_up_body(EMAIL, password="iloveyou1"), "password_too_common", "password"),
    "common password, other case": (sign_up_body(EMAIL, password="PassWord123"), "password_too_common", "password"),
    "password is the email": (sign_up_body(EMAIL, password=EMAIL), "password_too_common", "password"),
    "not 18+": (sign_up_body(EMAIL, adult=False), "consent_required", "adult"),
    "18+ not confirmed": (without("adult"), "consent_required", "adult"),
    "18+ as a string": (sign_up_body(EMAIL, adult="yes"), "validation_failed", "adult"),
    "old policy version": (
        sign_up_body(EMAIL, accepted_policy_version="2025-01-01"),
        "consent_required",
        "accepted_policy_version",
    ),
    "policy not accepted": (without("accepted_policy_version"), "consent_required", "accepted_policy_version"),
    "too long policy version": (
        sign_up_body(EMAIL, accepted_policy_version="2" * 41),
        "validation_failed",
        "accepted_policy_version",
    ),
    "unknown field": (sign_up_body(EMAIL, is_admin=True), "validation_failed", "is_admin"),
}


async def test_malformed_sign_ups_are_422_problems_naming_the_field_and_store_nothing(app: App) -> None:
    for case, (body, code, field) in BAD_SIGN_UPS.items():
        response = await app.client.post("/api/v1/auth/signup", json=body)

        refusal = problem(response, 422, code)
        assert [e["field"] for e in refusal.get("errors", [])] == [field], (case, refusal)
        assert await stored(app) == NOTHING, case

    # The same request, made right, is stored: the counts above could have moved.
    accepted = await app.client.post("/api/v1/auth/signup", json=sign_up_body(EMAIL))
    assert accepted.status_code == 202, accepted.text
    assert await stored(app) == NOTHING | {"accounts": 1}  # the link and its mail come from a job
    await run_sign_up_mail_jobs(app)
    assert await stored(app) == NOTHING | {"accounts": 1, "one_time_tokens": 1, "mails": 1}


REQUIRED = ("email", "full_name", "password")


async def test_a_sign_up_missing_a_field_is_a_422_and_stores_nothing(app: App) -> None:
    for field in REQUIRED:
        response = await app.client.post("/api/v1/auth/signup", json=without(field))

        refusal = problem(response, 422, "validation_failed")
        assert refusal.get("errors"), refusal
        assert await stored(app) == NOTHING, field


async def test_a_missing_field_is_named_in_errors(app: App) -> None:
    for field in REQUIRED:
        response = await app.client.post("/api/v1/auth/signup", json=without(field))

        refusal = problem(response, 422, "validation_failed")
        assert [e["field"] for e in refusal["errors"]] == [field], refusal


NOT_JSON_OBJECTS = {
    "brace": b"{",
    "truncated": b'{"email": "ada@example.com",',
    "not utf-8": b"\xff\xfe{}",
    "single quotes": b"{'email': 'ada@example.com'}",
    "array": b"[]",
    "null": b"null",
    "string": b'"x"',
    "empty": b"",
    "form": b"email=ada%40example.com&password=x",
}


async def test_a_body_that_is_not_a_json_object_is_a_4xx_problem(app: App) -> None:
    for case, content in NOT_JSON_OBJECTS.items():
        response = await app.client.post(
            "/api/v1/auth/signup", content=content, headers={"content-type": "application/json"}
        )

        assert response.status_code in (400, 415, 422), (case, response.text)
        refusal = problem(response, response.status_code)
        assert refusal["code"] in ("bad_request", "validation_failed", "unsupported_media_type"), (case, refusal)
        assert await stored(app) == NOTHING, case


NOT_JSON_TYPES = {
    "application/x-www-form-urlencoded": "email=ada%40example.com&full_name=Ada&password=correct+horse+battery",
    "application/xml": "<signup><email>ada@example.com</email></signup>",
    "multipart/form-data; boundary=x": "--x\r\nContent-Disposition: form-data; name=email\r\n\r\nada@example.com\r\n--x--",
}


async def test_a_form_or_xml_body_is_a_4xx_problem(app: App) -> None:
    for content_type, content in NOT_JSON_TYPES.items():
        response = await app.client.post("/api/v1/auth/signup", content=content, headers={"content-type": content_type})

        assert 400 <= response.status_code < 500, (content_type, response.text)
        problem(response, response.status_code)
        assert await stored(app) == NOTHING, content_type


async def test_json_under_another_content_type_is_refused(app: App) -> None:
    for path, body in [
        ("/api/v1/auth/signup", sign_up_body(EMAIL)),
        ("/api/v1/auth/sign-in", {"email": EMAIL, "password": PASSWORD}),
    ]:
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = await app.client.post(path, content=json.dumps(body), headers={"content-type": content_type})

            assert response.status_code in (400, 415), (path, content_type, response.text)
            problem(response, response.status_code)
            assert await stored(app) == NOTHING, (path, content_type)


# -- the other endpoints ------------------------------------------------------------------------


async def test_bad_input_on_the_other_public_endpoints_is_a_4xx_and_changes_nothing(app: App) -> None:
    owner = await sign_up_and_verify(app, EMAIL)
    app.client.cookies.clear()
    before = await stored(app)
    long_token = "t" * 201
    cases: list[tuple[str, Any, int, str, str | None]] = [
        ("/api/v1/auth/sign-in", {"email": EMAIL}, 422, "validation_failed", None),
        ("/api/v1/auth/sign-in", {"email": EMAIL, "password": ""}, 422, "validation_failed", "password"),
        ("/api/v1/auth/sign-in", {"email": "a" * 300, "password": PASSWORD}, 422, "validation_failed", "email"),
        ("/api/v1/auth/sign-in", {"email": EMAIL, "password": "p" * 1025}, 422, "validation_failed", "password"),
        (
            "/api/v1/auth/sign-in",
            {"email": EMAIL, "password": PASSWORD, "remember": True},
            422,
            "validation_failed",
            "remember",
        ),
        ("/api/v1/auth/verify-email", {"token": "short"}, 422, "validation_failed", "token"),
        ("/api/v1/auth/verify-email", {"token": long_token}, 422, "validation_failed", "token"),
        ("/api/v1/auth/verify-email", {"token": "x" * 43}, 422, "invalid_token", "token"),
        ("/api/v1/auth/verify-email/resend", {"email": "ada@"}, 422, "invalid_email", "email"),
        ("/api/v1/auth/password-reset", {"email": "not-an-email"}, 422, "invalid_email", "email"),
        ("/api/v1/auth/password-reset", {"email": EMAIL, "x": 1}, 422, "validation_failed", "x"),
        (
            "/api/v1/auth/password-reset/confirm",
            {"token": "x" * 43, "new_password": "short"},
            422,
            "validation_failed",
            "new_password",
        ),
        (
            "/api/v1/auth/password-reset/confirm",
            {"token": "x" * 43, "new_password": "a fine passphrase"},
            422,
            "invalid_token",
            "token",
        ),
    ]
    for path, body, status, code, field in cases:
        refusal = problem(await app.client.post(path, json=body), status, code)
        if field is not None:
            assert [e["field"] for e in refusal["errors"]] == [field], (path, body, refusal)
        assert await stored(app) == before, (path, body)

    refusal = problem(
        await app.client.post("/api/v1/auth/sign-in", json={"email": "bad", "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    assert "errors" not in refusal  # says nothing about which part was wrong
    assert await stored(app) == before
    assert (await app.client.get("/api/v1/account", headers=owner.headers())).status_code == 200


async def test_bad_account_changes_and_key_names_are_refused_and_change_nothing(app: App) -> None:
    owner: Owner = await sign_up_and_verify(app, EMAIL)
    other = await sign_up_and_verify(app, "bob@example.com")
    app.client.cookies.clear()
    before = await stored(app)
    headers = owner.headers()
    patches: list[tuple[Any, str, str | None]] = [
        ({"email": "not-an-email"}, "invalid_email", "email"),
        ({"email": "a" * 255 + "@example.com"}, "validation_failed", "email"),
        ({"full_name": ""}, "validation_failed", "full_name"),
        ({"full_name": "N" * 201}, "validation_failed", "full_name"),
        ({"full_name": "Ada\x07"}, "invalid_name", "full_name"),
        ({"full_name": None}, "validation_failed", "full_name"),
        ({"status": "active"}, "validation_failed", "status"),
        ({"email_verified": False}, "validation_failed", "email_verified"),
        ({"id": other.account_id}, "validation_failed", "id"),
    ]
    for body, code, field in patches:
        refusal = problem(await app.client.patch("/api/v1/account", json=body, headers=headers), 422, code)
        assert [e["field"] for e in refusal["errors"]] == [field], (body, refusal)
    problem(
        await app.client.patch(
            "/api/v1/account", json={"email": "BOB@example.com", "current_password": PASSWORD}, headers=headers
        ),
        409,
        "email_taken",
    )

    for name in ("", "k" * 101, "   "):
        refusal = problem(
            await app.client.post("/api/v1/api-keys", json={"name": name, "scopes": ["agents:read"]}, headers=headers),
            422,
        )
        assert [e["field"] for e in refusal["errors"]] == ["name"], (name, refusal)
    problem(await app.client.post("/api/v1/api-keys", json={}, headers=headers), 422, "validation_failed")

    for body in (
        {"new_password": "short"},
        {"new_password": "password123", "current_password": PASSWORD},
        {"current_password": PASSWORD},
        {"new_password": EMAIL, "current_password": PASSWORD},
    ):
        problem(await app.client.post("/api/v1/auth/password", json=body, headers=headers), 422)

    assert await stored(app) == before
    account = (await app.client.get("/api/v1/account", headers=headers)).json()
    assert (account["email"], account["full_name"], account["email_verified"], account["id"]) == (
        EMAIL,
        "Ada Lovelace",
        True,
        owner.account_id,
    )
    signed_in = await app.client.post("/api/v1/auth/sign-in", json={"email": EMAIL, "password": PASSWORD})
    assert signed_in.status_code == 200  # the password did not change


async def test_the_policy_endpoint_names_the_version_sign_up_must_accept(app: App) -> None:
    response = await app.client.get("/api/v1/auth/policy")

    assert response.status_code == 200
    # Seeded by migration 0011 and still in force (tests/integration/test_privacy_policy_pages.py
    # follows the answer when a newer version takes effect).
    assert response.json() == {"version": "2026-02-15"}
