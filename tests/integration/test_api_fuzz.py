"""Property-based fuzzing of every operation in the app's own OpenAPI document (schemathesis 4).

Generic on purpose: it reads the operations from ``/schema/openapi.json``, so every endpoint
added later is fuzzed with no change here. It runs signed in — each case as an owner with an API
key or with a session cookie and its CSRF token, drawn at random — so the handlers behind
authentication are reached, not just their 401. For each operation it sends valid and invalid
requests (positive and negative generation) and checks that the app never answers 5xx, that
every status it answers is documented, and that bodies, content types and headers match what
the document says. Then a stateful run follows the links schemathesis infers between operations
(an agent created, then read, patched, given documents, deleted...). It runs on the memory
container and on the Postgres container.

Budget: ``BUDGET`` requests per run, scaled by the Hypothesis profile (``HYPOTHESIS_PROFILE=ci``
doubles it); the whole file takes about two minutes on two cores with the default profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from litestar import Litestar, Response, get
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aioomi.container import AppContainer, container_in_memory, container_on_postgres
from aioomi.entrypoints.http.app import create_app
from aioomi.entrypoints.http.auth import SESSION_COOKIE
from aioomi.settings import Settings
from tests.integration.accounts_support import link_token, sign_up_body, use_fast_hasher, wait_for_mail

# The database is up for the whole run: a 503 blaming it is a bug, not a legitimate answer.
STORE_FAILURE_CODES = frozenset({"database_unavailable", "store_contention"})


def not_a_server_error_unless_documented_503(ctx, response, case):
    """Any 5xx fails, except a 503 that the operation documents and that does not blame the
    store: "a dependency is not configured or unavailable" (billing without Stripe, say) is a
    deliberate answer of an app run with no providers. An undocumented 503 still fails
    ``status_code_conformance``."""
    if response.status_code == 503 and "503" in case.operation.definition.raw.get("responses", {}):
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        if code not in STORE_FAILURE_CODES:
            return None
    return not_a_server_error(ctx, response, case)


class Answers:
    """What the app answered, per operation: (label, status) of every call the checks saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def check(self, ctx, response, case):
        self.seen.append((case.operation.label, response.status_code))

    def statuses(self, predicate: Any) -> list[int]:
        return [status for label, status in self.seen if predicate(label)]


CHECKS = [
    not_a_server_error_unless_documented_503,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Requests per run, shared among the operations (each gets between the floor and the ceiling):
# enough to find an undocumented status or a 500 on a malformed input, and a run time that stays
# bounded as endpoints are added. The CI profile doubles it.
BUDGET = {"memory": (800, 6, 20), "postgres": (400, 4, 10)}
SCALE = 2 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 1
# The stateful run over the agents' operations: scenarios and steps per scenario.
STATEFUL = {"memory": (30, 8), "postgres": (15, 8)}


def examples_per_operation(operations: int, kind: str) -> int:
    budget, floor, ceiling = BUDGET[kind]
    return SCALE * max(floor, min(ceiling, budget // max(operations, 1)))


@dataclass(frozen=True)
class Credentials:
    """An owner's two ways in: an API key, and a session cookie with its CSRF token."""

    api_key: str
    session_token: str
    csrf_token: str

    def headers(self, kind: str) -> dict[str, str]:
        if kind == "api_key":
            return {"Authorization": f"Bearer {self.api_key}"}
        return {"Cookie": f"{SESSION_COOKIE}={self.session_token}", "X-CSRF-Token": self.csrf_token}


# Every scope an API key can hold, so the fuzzer's key reaches every route a key may reach.
ALL_SCOPES = [
    f"{area}:{access}" for area in ("agents", "knowledge", "conversations", "usage") for access in ("read", "write")
]


def sign_in_owner(app: Litestar, settings: Settings) -> Credentials:
    """A verified owner with an agent, through the app's own API (on schemathesis's loop)."""
    schemathesis.openapi.from_asgi("/schema/openapi.json", app)  # starts the app's lifespan (the pool)
    client = asgi.get_client(app)
    email = "fuzz-owner@example.com"
    assert client.post("/api/v1/auth/signup", json=sign_up_body(email)).status_code == 202
    token = link_token(wait_for_mail(settings.outbox_dir, email, "verify_email"))
    verified = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    session = Credentials(
        api_key="", session_token=verified.cookies[SESSION_COOKIE], csrf_token=verified.json()["csrf_token"]
    )
    key = client.post(
        "/api/v1/api-keys", json={"name": "fuzz", "scopes": ALL_SCOPES}, headers=session.headers("session")
    )
    assert key.status_code == 201, key.text
    credentials = Credentials(
        api_key=key.json()["secret"], session_token=session.session_token, csrf_token=session.csrf_token
    )
    agent = client.post("/api/v1/agents", json={"name": "Fuzzed"}, headers=credentials.headers("api_key"))
    assert agent.status_code == 201, agent.text
    return credentials


def _spends_credentials(label: str) -> bool:
    """Operations that may end the session or key, restrict the account or change its password:
    fuzzed last, so that the others run signed in."""
    method, path = label.split(" ", 1)
    return method != "GET" and path.startswith(("/api/v1/auth", "/api/v1/account", "/api/v1/api-keys"))


def fuzz(
    app: Litestar,
    *,
    kind: str | None = None,
    max_examples: int | None = None,
    credentials: Credentials | None = None,
    answers: Answers | None = None,
) -> tuple[list[str], list[str]]:
    """Fuzz every operation of ``app``'s schema (signed in with ``credentials`` when given);
    return (operations fuzzed, failure reports)."""
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # an unreadable one fails here
    operations.sort(key=lambda operation: _spends_credentials(operation.label))
    if max_examples is None:
        assert kind is not None
        max_examples = examples_per_operation(len(operations), kind)
    fuzzed: list[str] = []
    failures: list[str] = []
    ways_in = st.sampled_from(["api_key", "session"] if credentials else ["none"])
    checks = CHECKS + ([answers.check] if answers else [])
    for operation in operations:
        fuzzed.append(operation.label)
        # Negative generation is impossible for an operation without inputs; one_of keeps the other.
        cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode])

        @settings(max_examples=max_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=cases, way_in=ways_in)
        def run(case: schemathesis.Case, way_in: str) -> None:
            headers = credentials.headers(way_in) if credentials else None
            case.call_and_validate(checks=checks, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}:\n{error}")
    return fuzzed, failures


def fuzz_stateful(
    app: Litestar, credentials: Credentials, answers: Answers, *, scenarios: int, steps: int
) -> list[str]:
    """Run schemathesis's state machine (links it infers between operations) signed in with the
    API key, the same checks on every step, each answer recorded in ``answers``; return the
    failure reports.

    Failures are collected rather than raised: Hypothesis would replay a failing scenario, and a
    replay meets a server whose state has moved on (the ids differ), which it reports as
    ``FlakyStrategyDefinition`` instead of the failure. For the same reason only the generate
    phase runs, and a replay that diverges ends the run (as schemathesis's own runner does).
    Derandomized: the scenarios are the same from run to run (the stateless run varies), so
    whether links were followed does not depend on luck."""
    # The agents, their documents, sources and Q&A pairs only: the stateless run above covers every operation,
    # and with all of them in the walk a derandomized scenario rarely picked the one that makes
    # an agent (each new endpoint moved which ones it did).
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app).include(
        path_regex=r"^/api/v1/agents(/\{agent_id\}(/(documents|sources|qa-pairs)(/\{\w+\})?)?)?$"
    )
    # Valid requests only: scenarios are about reaching later operations with real ids (the
    # stateless run above covers invalid input).
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    machine = schema.as_state_machine()
    failures: list[str] = []

    class SignedIn(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": credentials.headers("api_key")}

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(response, checks=[*CHECKS, answers.check], transport_kwargs=kwargs)
            except (Exception, BaseExceptionGroup) as error:  # FailureGroup is a BaseExceptionGroup
                failures.append(f"{case.operation.label} (stateful):\n{error}")

    try:
        SignedIn.run(
            settings=settings(
                max_examples=SCALE * scenarios,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
        )
    except FlakyStrategyDefinition:
        pass  # a replay met moved-on server state: the scenarios run so far stand
    return failures


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Litestar, str, Credentials]]:
    """The app on a container that its own lifespan starts (schemathesis runs the app on an event
    loop of its own, and the Postgres pool must belong to that loop), and an owner signed in."""
    kind = request.param
    app_settings = Settings(
        data_dir=str(tmp_path / "aioomi"), log_level="warning", handoff_stream_max_s=0.2
    )  # the handoff streams end soon, as they would reconnect
    container: AppContainer
    if kind == "memory":
        container = container_in_memory(settings=app_settings)
    else:
        container = container_on_postgres(settings=app_settings, conninfo=request.getfixturevalue("pg_conninfo"))
    use_fast_hasher(container)
    app = create_app(container, manage_lifecycle=True, run_worker=True)  # the worker mails the sign-up link
    try:
        yield app, kind, sign_in_owner(app, app_settings)
    finally:
        asgi.shutdown_lifespans()  # runs the app's shutdown: the pool closes before the database goes


def _owner_api(label: str) -> bool:
    """The owner's own resources: reached only signed in."""
    return label.split(" ", 1)[1].startswith(("/api/v1/agents", "/api/v1/usage", "/api/v1/chat-sessions"))


@pytest.mark.parametrize("served", ["memory", "postgres"], indirect=True)
def test_every_operation_survives_fuzzing_signed_in_and_matches_its_schema(
    served: tuple[Litestar, str, Credentials],
) -> None:
    app, kind, credentials = served
    answers = Answers()
    fuzzed, failures = fuzz(app, kind=kind, credentials=credentials, answers=answers)
    assert {"GET /healthz", "GET /readyz", "POST /api/v1/agents"} <= set(fuzzed), fuzzed
    assert not failures, "\n\n".join(failures)
    # Signed in for real: the owner's API answered, mostly not with a 401.
    owner_statuses = answers.statuses(_owner_api)
    assert owner_statuses.count(401) < len(owner_statuses) / 4, sorted(set(owner_statuses))
    assert 201 in answers.statuses(lambda label: label == "POST /api/v1/agents")

    stateful = Answers()
    scenarios, steps = STATEFUL[kind]
    failures = fuzz_stateful(app, credentials, stateful, scenarios=scenarios, steps=steps)
    assert not failures, "\n\n".join(failures)
    # The links were followed: an agent made in one step was used by id in a later one.
    assert any(200 <= status < 300 for status in stateful.statuses(lambda label: "{agent_id}" in label)), sorted(
        set(stateful.seen)
    )


# The harness itself must be able to fail: a bare app with two classic mistakes.
class Thing(msgspec.Struct):
    name: str


@get("/teapot", sync_to_thread=False)
def undocumented_status() -> Response[Thing]:
    return Response(Thing(name="tea"), status_code=418)


@get("/liar", sync_to_thread=False)
def wrong_body() -> Thing:
    return {"nom": 1}  # type: ignore[return-value]


def test_the_fuzzer_reports_an_undocumented_status_and_a_body_off_its_schema() -> None:
    app = Litestar([undocumented_status, wrong_body])
    try:
        fuzzed, failures = fuzz(app, max_examples=5)
    finally:
        asgi.shutdown_lifespans()
    assert sorted(fuzzed) == ["GET /liar", "GET /teapot"]
    report = "\n".join(failures)
    assert len(failures) == 2, report
    assert any(f.startswith("GET /teapot") and "418" in f for f in failures), report
    assert any(f.startswith("GET /liar") and "schema" in f.lower() for f in failures), report
