"""Fixtures for every suite: settings, the memory and Postgres containers, hypothesis profiles."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def test_postgres() -> Iterator[TestPostgres]:
    # Not under pytest's tmp_path: that tree is private to root (0700), while the server runs as
    # an unprivileged user when the tests run as root, and concurrent pytest runs prune it.
    base = Path(tempfile.mkdtemp(prefix="aioomi-test-pg-"))
    base.chmod(0o755)
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
