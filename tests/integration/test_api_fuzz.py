"""Property-based fuzzing of every operation in the app's own OpenAPI document (schemathesis 4).

Generic on purpose: it reads the operations from ``/schema/openapi.json``, so every endpoint
added later is fuzzed with no change here. For each operation it sends valid and invalid
requests (positive and negative generation) and checks that the app never answers 5xx, that
every status it answers is documented, and that bodies, content types and headers match what
the document says. It runs on the memory container and on the Postgres container.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar, Response, get
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aioomi.container import AppContainer, MemoryContainer, PostgresContainer
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings

# The database is up for the whole run: a 503 blaming it is a bug, not a legitimate answer.
STORE_FAILURE_CODES = frozenset({"database_unavailable", "store_contention"})


def not_a_server_error_unless_documented_503(ctx, response, case):  # noqa: ANN001, ANN201
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


CHECKS = [
    not_a_server_error_unless_documented_503,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Requests per run, shared among the operations (each gets between the floor and the ceiling):
# enough to find an undocumented status or a 500 on a malformed input, and a run time that stays
# bounded as endpoints are added.
BUDGET = {"memory": (800, 8, 30), "postgres": (400, 5, 15)}


def examples_per_operation(operations: int, kind: str) -> int:
    budget, floor, ceiling = BUDGET[kind]
    return max(floor, min(ceiling, budget // max(operations, 1)))


def fuzz(app: Litestar, *, kind: str | None = None, max_examples: int | None = None) -> tuple[list[str], list[str]]:
    """Fuzz every operation of ``app``'s schema; return (operations fuzzed, failure reports)."""
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # an unreadable one fails here
    if max_examples is None:
        assert kind is not None
        max_examples = examples_per_operation(len(operations), kind)
    fuzzed: list[str] = []
    failures: list[str] = []
    for operation in operations:
        fuzzed.append(operation.label)
        # Negative generation is impossible for an operation without inputs; one_of keeps the other.
        cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode])

        @settings(max_examples=max_examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=cases)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}:\n{error}")
    return fuzzed, failures


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Litestar, str]]:
    """The app on a container that its own lifespan starts: schemathesis runs the app on an event
    loop of its own, and the Postgres pool must belong to that loop."""
    kind = request.param
    app_settings = Settings(data_dir=str(tmp_path / "aioomi"), log_level="warning")
    container: AppContainer
    if kind == "memory":
        container = MemoryContainer(settings=app_settings)
    else:
        container = PostgresContainer(settings=app_settings, conninfo=request.getfixturevalue("pg_conninfo"))
    app = create_app(container, manage_lifecycle=True)
    try:
        yield app, kind
    finally:
        asgi.shutdown_lifespans()  # runs the app's shutdown: the pool closes before the database goes


@pytest.mark.parametrize("served", ["memory", "postgres"], indirect=True)
def test_every_operation_survives_fuzzing_and_matches_its_schema(served: tuple[Litestar, str]) -> None:
    app, kind = served
    fuzzed, failures = fuzz(app, kind=kind)
    assert {"GET /healthz", "GET /readyz"} <= set(fuzzed), fuzzed
    assert not failures, "\n\n".join(failures)


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
