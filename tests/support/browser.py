"""Debian's Chromium for the browser tests, started the way this closed network needs."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import require

CHROMIUM = os.environ.get("AIOOMI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_browser(playwright_available: bool) -> None:
    """Skip on a developer's machine without Chromium or Playwright; fail in CI."""
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    require(playwright_available, "the playwright package is not installed (pip install -e '.[dev]')")
