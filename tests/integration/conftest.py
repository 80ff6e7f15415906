"""Fixtures for the integration suite: the fake provider servers."""

from __future__ import annotations

# Imported rather than listed in ``pytest_plugins``, which pytest allows only in the root conftest.
from tests.fakes.openai_fixtures import _served_fake_openai, fake_openai  # noqa: F401 - fixtures
