"""Issue 12's account page in Chromium: a key created with the scopes ticked, the password asked
again once the re-authentication window has passed, and the e-mail confirmation page naming the
address. The app runs in memory on a manual clock, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import container_in_memory
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import wait_for_mail
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

EMAIL = "hedy@example.com"
PASSWORD = "frequency hopping since 1942"

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Settings, ManualClock]]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-account-security-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(data_dir=str(data_dir), log_format="console", public_url=base, worker_poll_s=0.2, demo="off")
    clock = ManualClock(datetime.now(UTC))
    container = container_in_memory(settings=settings)
    container.clock.override(providers.Object(clock))
    container.password_hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost_kib=8, parallelism=1))
    )
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(
        app,
        sock,
        name="aioomi-account-security",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ):
        yield base, settings, clock
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def page(served: tuple[str, Settings, ManualClock]) -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
        await browser.close()


def link(settings: Settings, kind: str) -> str:
    [found] = re.findall(r"https?://\S+", wait_for_mail(settings.outbox_dir, EMAIL, kind).text)  # the worker mails it
    return found


async def test_scoped_keys_and_re_authentication_on_the_account_page(
    served: tuple[str, Settings, ManualClock], page: Any
) -> None:
    base, settings, clock = served
    await page.goto(f"{base}/sign-up")
    await page.get_by_label("Full name").fill("Hedy Lamarr")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("I am 18 or older").check()
    await page.get_by_label(re.compile("I accept the privacy policy")).check()
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("heading", name="Check your e-mail").wait_for()

    await page.goto(link(settings, "verify_email"))
    assert await page.locator("#confirming").text_content() == EMAIL  # the page names the address
    await page.get_by_role("button", name="Confirm my email").click()
    await page.wait_for_url(f"{base}/dashboard/agents")

    await page.goto(f"{base}/dashboard/account")
    assert await page.locator("#reauth").count() == 0  # just signed in
    await page.locator("#f-key-name").fill("deploy")
    await page.get_by_label("agents:write").check()
    await page.get_by_label("usage:read").uncheck()
    await page.get_by_role("button", name="Create key").click()
    await page.locator("#new-secret").wait_for()
    assert (await page.locator("#secret-value").text_content() or "").startswith("aio_")
    await page.goto(f"{base}/dashboard/account")
    row = page.get_by_role("row", name=re.compile("deploy"))
    assert "agents:read, agents:write, knowledge:read, conversations:read" in (await row.text_content() or "")

    clock.advance(timedelta(minutes=11))
    await page.reload()
    await page.locator("#reauth").wait_for()
    await page.locator("#f-key-name").fill("too late")
    await page.get_by_role("button", name="Create key").click()
    await page.get_by_text(re.compile("Confirm your password first")).wait_for()
    await page.locator("#f-reauth-password").fill(PASSWORD)
    await page.locator("#reauth").get_by_role("button", name="Confirm").click()
    await page.wait_for_load_state("load")
    await page.wait_for_function("!document.querySelector('#reauth')")
    await page.locator("#f-key-name").fill("in time")
    await page.get_by_role("button", name="Create key").click()
    await page.locator("#new-secret").wait_for()
