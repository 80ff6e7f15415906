"""Contract suites run every test against the memory and the Postgres adapter alike."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["memory", "postgres"])
def container(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_container")
