"""The agents API over HTTP, on the Postgres container: CRUD, pagination, partial updates, key
rotation, deletion with the knowledge base, validation naming every bad field, isolation
between accounts and the CSRF rule."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import psycopg
import pytest
import schemathesis
from dependency_injector import providers
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.adapters.local.outbox_mailer import read_outbox
from aioomi.adapters.postgres.agents import PostgresAgentRepository
from aioomi.container import Container, container_on_postgres, start, stop
from aioomi.domain.model.accounts import Account, AccountStatus, Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, content_hash
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from aioomi.entrypoints.http.app import create_app
from aioomi.entrypoints.http.auth import SESSION_COOKIE
from aioomi.settings import Settings
from tests.integration.accounts_support import run_sign_up_mail_jobs

PROBLEM = "application/problem+json"
BASE_URL = "http://127.0.0.1"  # loopback: the session cookie is not Secure, so plain http carries it


# --- signing in, quickly -----------------------------------------------------------------------


@dataclass
class Owner:
    account_id: str
    session_token: str
    csrf: str

    def headers(self, *, csrf: bool = True) -> dict[str, str]:
        headers = {"cookie": f"{SESSION_COOKIE}={self.session_token}"}
        return headers | ({"x-csrf-token": self.csrf} if csrf else {})


@dataclass
class App:
    container: Container
    client: AsyncTestClient
    conninfo: str

    async def count(self, table: str) -> int:
        """Rows in ``table`` whatever the tenant (read as the database owner)."""
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            row = await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone()
        return int(row[0])

    async def owner(self, email: str) -> Owner:
        """Sign up, follow the verification link from the outbox: a signed-in owner."""
        response = await self.client.post(
            "/api/v1/auth/signup",
            json={
                "email": email,
                "full_name": "Ada Lovelace",
                "password": "correct horse battery staple",
                "adult": True,
                "accepted_policy_version": CURRENT_POLICY_VERSION,
            },
        )
        assert response.status_code == 202, response.text
        await run_sign_up_mail_jobs(self)  # the verification link is mailed by a job
        [mail] = [
            m for m in read_outbox(self.container.settings().outbox_dir) if m.to == email and m.kind == "verify_email"
        ]
        [token] = re.findall(r"[?&]token=([^\s&]+)", mail.text)
        response = await self.client.post("/api/v1/auth/verify-email", json={"token": unquote(token)})
        assert response.status_code == 200, response.text
        self.client.cookies.clear()  # each request names its owner explicitly
        body = response.json()
        return Owner(
            account_id=body["account"]["id"], session_token=response.cookies[SESSION_COOKIE], csrf=body["csrf_token"]
        )


@pytest.fixture
async def app(postgres_container: Container, pg_conninfo: str) -> AsyncIterator[App]:
    # Production's argon2id parameters are slow on purpose; tests sign up many owners.
    postgres_container.password_hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost_kib=8, parallelism=1))
    )
    async with AsyncTestClient(create_app(postgres_container, manage_lifecycle=False), base_url=BASE_URL) as client:
        yield App(container=postgres_container, client=client, conninfo=pg_conninfo)


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status`` (and ``code``); return its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body = response.json()
    assert body["status"] == status and (code is None or body["code"] == code), body
    return body


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


# --- the agents API ----------------------------------------------------------------------------

AGENTS = "/api/v1/agents"

FULL = {
    "name": "Shop helper",
    "system_prompt": "You help customers of Acme Shop.\nBe brief.",
    "model": "gpt-4o-mini",
    "temperature": 0.5,
    "max_tokens": 700,
    "answer_mode": "assisted",
    "fallback_message": "Please e-mail support@acme.example.",
    "retrieval": {"top_k": 6, "min_relevance": 0.3, "max_citations": 5},
    "greeting": "Hi! Ask me about orders.",
    "starter_questions": ["Where is my order?", "Do you ship abroad?"],
    "widget": {
        "primary_color": "#AA3366",
        "position": "left",
        "title": "Acme help",
        "avatar_url": "https://cdn.acme.example/bot.png",
        "theme": "dark",
        "launcher_text": "Ask us",
        "locale": "fr",
    },
    "allowed_origins": ["https://Shop.Acme.example/", "http://localhost:3000"],
    "status": "paused",
}


@pytest.fixture
async def owner(app: App) -> Owner:
    return await app.owner("ada@example.com")


async def create(
    client: AsyncTestClient, owner: Owner, body: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    response = await client.post(AGENTS, json=(body or {"name": "Support"}) | fields, headers=owner.headers())
    assert response.status_code == 201, response.text
    return response.json()


async def find_by_key(app: App, public_key: str) -> Any:
    async with app.container.uow()(account_id=None) as uow:
        return await uow.agents.find_by_public_key(public_key)


async def test_create_then_get_returns_every_setting_normalised(app: App, owner: Owner) -> None:
    response = await app.client.post(AGENTS, json=FULL, headers=owner.headers())
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{AGENTS}/{created['id']}"
    assert created["id"].startswith("agt_") and created["public_key"].startswith("pk_")
    assert created["embedding_model"] == "wordllama-l2-supercat-256"
    expected = FULL | {
        "widget": FULL["widget"] | {"primary_color": "#aa3366"},
        "allowed_origins": ["https://shop.acme.example", "http://localhost:3000"],
    }
    assert {k: created[k] for k in FULL} == expected
    assert created["created_at"] == created["updated_at"] and created["created_at"].endswith("Z")

    fetched = await app.client.get(f"{AGENTS}/{created['id']}", headers=owner.headers(csrf=False))
    assert fetched.status_code == 200 and fetched.json() == created
    assert (await find_by_key(app, created["public_key"])).id == created["id"]


async def test_defaults_of_a_minimal_agent(app: App, owner: Owner) -> None:
    created = await create(app.client, owner)
    assert created["model"] == "gpt-4o" and created["answer_mode"] == "grounded" and created["status"] == "active"
    assert created["allowed_origins"] == [] and created["starter_questions"] == [] and created["greeting"] is None
    assert created["retrieval"] == {"top_k": 8, "min_relevance": 0.5, "max_citations": 3}
    assert created["widget"]["position"] == "right" and created["widget"]["theme"] == "auto"


async def test_timestamps_are_utc_whatever_the_database_time_zone(app: App, owner: Owner) -> None:
    created = await create(app.client, owner)
    async with await psycopg.AsyncConnection.connect(
        app.conninfo, autocommit=True, options="-c TimeZone=Asia/Kolkata"
    ) as conn:
        await conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        found = await PostgresAgentRepository(conn).get(owner.account_id, created["id"])
        [listed] = await PostgresAgentRepository(conn).list_page(owner.account_id, limit=5, after=None)
    assert found == listed
    assert found.created_at.utcoffset() == timedelta(0) and found.created_at.tzinfo is UTC
    assert found.created_at == datetime.fromisoformat(created["created_at"])


async def test_pages_list_every_agent_once_newest_first(app: App, owner: Owner) -> None:
    ids = [(await create(app.client, owner, name=f"Agent {i}"))["id"] for i in range(7)]
    other = await app.owner("grace@example.com")
    await create(app.client, other, name="Not Ada's")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await app.client.get(AGENTS, params=params, headers=owner.headers())
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "next_cursor"} and len(body["data"]) <= 3
        seen += [a["id"] for a in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))  # newest first, no duplicates, no gaps

    everything = (await app.client.get(AGENTS, headers=owner.headers())).json()
    assert [a["id"] for a in everything["data"]] == seen and everything["next_cursor"] is None


async def test_bad_list_parameters_are_422_naming_them(app: App, owner: Owner) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("cursor=not-a-cursor", "cursor"),
    ]:
        body = problem(await app.client.get(f"{AGENTS}?{query}", headers=owner.headers()), 422)
        assert [e["field"] for e in body["errors"]] == [field], query


async def test_patch_changes_only_the_fields_sent(app: App, owner: Owner) -> None:
    created = await create(app.client, owner, FULL)
    response = await app.client.patch(
        f"{AGENTS}/{created['id']}",
        json={
            "temperature": 1.1,
            "greeting": None,
            "widget": {"theme": "light", "avatar_url": None},
            "retrieval": {"top_k": 12},
            "allowed_origins": [],
        },
        headers=owner.headers(),
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    expected = created | {
        "temperature": 1.1,
        "greeting": None,
        "allowed_origins": [],
        "widget": created["widget"] | {"theme": "light", "avatar_url": None},
        "retrieval": created["retrieval"] | {"top_k": 12},
    }
    assert {k: v for k, v in patched.items() if k != "updated_at"} == {
        k: v for k, v in expected.items() if k != "updated_at"
    }
    assert patched["updated_at"] > created["updated_at"]
    again = await app.client.get(f"{AGENTS}/{created['id']}", headers=owner.headers())
    assert again.json() == patched


async def test_delete_removes_the_agent_and_its_chunks(app: App, owner: Owner) -> None:
    doomed, kept = await create(app.client, owner, name="Doomed"), await create(app.client, owner, name="Kept")
    chunks = app.container.chunk_store()
    text = "Returns are free within 30 days."
    chunk = EmbeddedChunk(chunk=Chunk(text=text, position=0, content_hash=content_hash(text)), embedding=[0.6, 0.8])
    for agent in (doomed, kept):
        await chunks.replace_document(
            account_id=owner.account_id,
            agent_id=agent["id"],
            document_id="doc_returns",
            embedding_model="m",
            chunks=[chunk],
        )

    response = await app.client.delete(f"{AGENTS}/{doomed['id']}", headers=owner.headers())
    assert response.status_code == 204, response.text

    problem(await app.client.get(f"{AGENTS}/{doomed['id']}", headers=owner.headers()), 404, "agent_not_found")
    problem(await app.client.delete(f"{AGENTS}/{doomed['id']}", headers=owner.headers()), 404, "agent_not_found")
    assert await chunks.count(account_id=owner.account_id, agent_id=doomed["id"]) == 0
    assert await chunks.count(account_id=owner.account_id, agent_id=kept["id"]) == 1
    assert await find_by_key(app, doomed["public_key"]) is None
    assert await app.count("agents") == 1


async def test_rotating_the_key_retires_the_old_one(app: App, owner: Owner) -> None:
    created = await create(app.client, owner)
    response = await app.client.post(f"{AGENTS}/{created['id']}/rotate-key", headers=owner.headers())
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["public_key"] != created["public_key"] and rotated["id"] == created["id"]
    assert await find_by_key(app, created["public_key"]) is None
    assert (await find_by_key(app, rotated["public_key"])).id == created["id"]


BAD_BODY = {
    "name": "Broken",
    "system_prompt": "p" * 20_001,
    "temperature": 2.5,
    "max_tokens": 0,
    "starter_questions": [f"Question {i}?" for i in range(7)],
    "widget": {"primary_color": "blue", "avatar_url": "javascript:alert(1)"},
    "allowed_origins": ["https://shop.example.com", "https://shop.example.com/checkout", "https://*.example.com"],
}
BAD_FIELDS = [
    "system_prompt",
    "temperature",
    "max_tokens",
    "starter_questions",
    "widget.primary_color",
    "widget.avatar_url",
    "allowed_origins[1]",
    "allowed_origins[2]",
]


async def test_bad_input_is_one_422_naming_every_bad_field_and_nothing_is_stored(app: App, owner: Owner) -> None:
    body = problem(await app.client.post(AGENTS, json=BAD_BODY, headers=owner.headers()), 422, "validation_failed")
    assert sorted(e["field"] for e in body["errors"]) == sorted(BAD_FIELDS)
    assert all(e["message"] for e in body["errors"])
    assert await app.count("agents") == 0

    created = await create(app.client, owner)
    patch = {k: v for k, v in BAD_BODY.items() if k != "name"}
    body = problem(await app.client.patch(f"{AGENTS}/{created['id']}", json=patch, headers=owner.headers()), 422)
    assert sorted(e["field"] for e in body["errors"]) == sorted(BAD_FIELDS)
    assert (await app.client.get(f"{AGENTS}/{created['id']}", headers=owner.headers())).json() == created


ONE_BAD_FIELD = [
    ({"system_prompt": "p" * 20_001}, "system_prompt"),
    ({"temperature": 2.5}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"starter_questions": ["Why?"] * 7}, "starter_questions"),
    ({"widget": {"primary_color": "#12345g"}}, "widget.primary_color"),
    ({"widget": {"avatar_url": "javascript:alert(1)"}}, "widget.avatar_url"),
    ({"widget": {"avatar_url": "data:image/png;base64,AAAA"}}, "widget.avatar_url"),
    ({"allowed_origins": ["https://shop.example.com/path"]}, "allowed_origins[0]"),
    ({"allowed_origins": ["https://*.example.com"]}, "allowed_origins[0]"),
    ({"allowed_origins": ["https://shop.example.com:70000"]}, "allowed_origins[0]"),  # passes the edge, not the domain
    ({"name": "   "}, "name"),  # likewise
    ({"unknown": 1}, "unknown"),
    ({"widget": {"colour": "#123456"}}, "widget.colour"),
    ({"status": "deleted"}, "status"),
]


async def test_each_bad_field_is_named(app: App, owner: Owner) -> None:
    for fields, bad in ONE_BAD_FIELD:
        body = problem(await app.client.post(AGENTS, json={"name": "Support"} | fields, headers=owner.headers()), 422)
        assert [e["field"] for e in body["errors"]] == [bad], fields
    assert await app.count("agents") == 0


async def test_null_is_refused_where_a_value_is_required(app: App, owner: Owner) -> None:
    created = await create(app.client, owner)
    for field in ("name", "temperature", "widget", "allowed_origins", "fallback_message"):
        body = problem(
            await app.client.patch(f"{AGENTS}/{created['id']}", json={field: None}, headers=owner.headers()), 422
        )
        assert [e["field"] for e in body["errors"]] == [field]


async def test_another_accounts_agent_is_404_like_a_missing_one(app: App, owner: Owner) -> None:
    grace = await app.owner("grace@example.com")
    theirs = await create(app.client, grace, name="Grace's")
    missing = "agt_" + "a" * 26
    for agent_id in (theirs["id"], missing):
        url = f"{AGENTS}/{agent_id}"
        for response in (
            await app.client.get(url, headers=owner.headers()),
            await app.client.patch(url, json={"name": "Mine now"}, headers=owner.headers()),
            await app.client.delete(url, headers=owner.headers()),
            await app.client.post(f"{url}/rotate-key", headers=owner.headers()),
        ):
            body = problem(response, 404, "agent_not_found")
            assert body["detail"] == "No such agent."
    listed = (await app.client.get(AGENTS, headers=owner.headers())).json()
    assert listed == {"data": [], "next_cursor": None}
    assert (await find_by_key(app, theirs["public_key"])).name == "Grace's"


async def test_unsafe_requests_with_the_cookie_need_the_csrf_token(app: App, owner: Owner) -> None:
    created = await create(app.client, owner)
    url = f"{AGENTS}/{created['id']}"
    no_csrf = owner.headers(csrf=False)
    for response in (
        await app.client.post(AGENTS, json={"name": "Sneaky"}, headers=no_csrf),
        await app.client.patch(url, json={"name": "Sneaky"}, headers=no_csrf),
        await app.client.delete(url, headers=no_csrf),
        await app.client.post(f"{url}/rotate-key", headers=no_csrf),
        await app.client.post(AGENTS, json={"name": "Sneaky"}, headers=no_csrf | {"x-csrf-token": "wrong"}),
    ):
        problem(response, 403, "csrf_failed")
    assert (await app.client.get(url, headers=no_csrf)).json() == created  # reads need no token
    assert await app.count("agents") == 1


async def test_an_api_key_works_without_csrf_and_no_credentials_is_401(app: App, owner: Owner) -> None:
    key = await app.client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["agents:write"]}, headers=owner.headers()
    )
    assert key.status_code == 201, key.text
    async with AsyncTestClient(app.client.app, base_url=BASE_URL) as program:
        created = await program.post(AGENTS, json={"name": "From CI"}, headers=bearer(key.json()["secret"]))
        assert created.status_code == 201, created.text
        problem(await program.get(AGENTS), 401)
        problem(await program.post(AGENTS, json={"name": "x"}), 401)
        problem(await program.post(AGENTS, json={"name": ""}), 401)  # who is calling is settled first
    assert await app.count("agents") == 1


# --- fuzzing, signed in ------------------------------------------------------------------------


OPERATIONS = {
    f"GET {AGENTS}",
    f"POST {AGENTS}",
    f"GET {AGENTS}/{{agent_id}}",
    f"PATCH {AGENTS}/{{agent_id}}",
    f"DELETE {AGENTS}/{{agent_id}}",
    f"POST {AGENTS}/{{agent_id}}/rotate-key",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_signed_in_fuzzing_of_the_agents_api_finds_no_server_error_or_schema_breach(pg_conninfo: str, tmp_path) -> None:
    """The generic fuzz test (test_api_fuzz.py) calls without credentials, so it meets the
    agents API's 401s only; here every request carries an API key and names a real agent."""
    settings_ = Settings(data_dir=str(tmp_path / "aioomi"), log_level="warning")

    async def seed() -> tuple[str, str]:
        container = container_on_postgres(settings=settings_, conninfo=pg_conninfo)
        await start(container)
        try:
            now = datetime.now(UTC)
            account_id = new_id("acct")
            async with container.uow()(account_id=None) as uow:
                await uow.accounts.add(
                    Account(
                        id=account_id,
                        email="fuzz@example.com",
                        full_name="Fuzz",
                        password_hash="-",
                        google_subject=None,
                        email_verified_at=now,
                        adult_attested_at=now,
                        accepted_policy_version=CURRENT_POLICY_VERSION,
                        status=AccountStatus.ACTIVE,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await uow.commit()
            principal = Principal.own(account_id=account_id)
            key = await container.create_api_key()(principal, "fuzz", ["agents:read", "agents:write"])
            agent = await container.create_agent()(principal, AgentSettings(name="Seed"))
            return key.secret, agent.id
        finally:
            await stop(container)

    secret, agent_id = asyncio.run(seed())
    # The app starts its own container in the event loop schemathesis runs it on.
    fuzzed_app = create_app(container_on_postgres(settings=settings_, conninfo=pg_conninfo), manage_lifecycle=True)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", fuzzed_app)
    ours = [op for result in schema.get_all_operations() if (op := result.ok()).label in OPERATIONS]
    failures = []
    try:
        for operation in ours:
            cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode])

            @hypothesis_settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=cases)
            def run(case: schemathesis.Case) -> None:
                if case.path_parameters and operation.method.upper() != "DELETE":  # noqa: B023 - run() is called in this iteration
                    case.path_parameters = {**case.path_parameters, "agent_id": agent_id}
                case.headers = {**(case.headers or {}), **bearer(secret)}
                case.call_and_validate(checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label}:\n{error}")
    finally:
        asgi.shutdown_lifespans()
    assert {op.label for op in ours} == OPERATIONS
    assert not failures, "\n\n".join(failures)
