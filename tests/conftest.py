"""Fixtures for every suite: settings, the memory and Postgres containers, hypothesis profiles."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from testkit.postgres import TestPostgres

from aioomi.container import Container, container_in_memory, container_on_postgres, start, stop
from aioomi.settings import Settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
# `make mutants` runs the covering tests once per mutant: fewer examples, same rules.
settings.register_profile("mutants", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

IN_CI = bool(os.environ.get("CI"))


def require(condition: bool, reason: str) -> None:
    """Skip a test whose outside part is missing on a developer's machine; fail it in CI,
    where every part must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


def _postgres_base() -> Path:
    # Not under pytest's tmp_path: that tree is private to root (0700), while the server runs as
    # an unprivileged user when the tests run as root, and concurrent pytest runs prune it.
    base = Path(tempfile.mkdtemp(prefix="aioomi-test-pg-"))
    base.chmod(0o755)
    return base


_MUTMUT_POSTGRES: list[TestPostgres] = []


def _postgres_for_the_mutmut_run() -> TestPostgres:
    """Under `make mutants`, one server for the whole run. mutmut runs the tests once in its own
    process (to map tests to functions), then forks that process once per mutant, and each fork
    runs pytest again: the forks inherit this server, already started, with its migrated
    template, instead of starting their own (10-20 s each). The forks leave through `os._exit`,
    so only mutmut's process stops the server and removes its folder, when it exits."""
    if not _MUTMUT_POSTGRES:
        base = _postgres_base()
        atexit.register(shutil.rmtree, base, ignore_errors=True)  # registered first, so it runs last
        _MUTMUT_POSTGRES.append(TestPostgres(base / "data"))  # the server stops itself at exit
    return _MUTMUT_POSTGRES[0]


@pytest.fixture(scope="session")
def test_postgres() -> Iterator[TestPostgres]:
    if "MUTANT_UNDER_TEST" in os.environ:  # set by mutmut in its process and in every fork
        yield _postgres_for_the_mutmut_run()
        return
    base = _postgres_base()
    server = TestPostgres(base / "data")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
async def pg_conninfo(test_postgres: TestPostgres) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    conninfo = await test_postgres.create_database()
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture
def app_settings(tmp_path) -> Settings:
    return Settings(data_dir=str(tmp_path / "aioomi"), log_format="console")


@pytest.fixture
async def memory_container(app_settings: Settings) -> AsyncIterator[Container]:
    container = container_in_memory(settings=app_settings)
    await start(container)
    yield container
    await stop(container)


@pytest.fixture
async def postgres_container(app_settings: Settings, pg_conninfo: str) -> AsyncIterator[Container]:
    container = container_on_postgres(settings=app_settings, conninfo=pg_conninfo)
    await start(container)
    yield container
    await stop(container)
