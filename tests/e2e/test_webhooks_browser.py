"""The webhooks dashboard in Chromium: an owner adds an endpoint (the secret shown once), sends
a test event that the worker delivers, signed, to an in-process loopback receiver, and reads the
delivery in the endpoint's log; the secret appears nowhere after the first answer."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.container import container_in_memory
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.fakes.webhook_receiver import WebhookReceiver, served_receiver
from tests.integration.accounts_support import fast_hasher, wait_for_mail
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Settings]]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-hooks-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=str(data_dir),
        log_format="console",
        public_url=base,
        worker_poll_s=0.1,
        url_fetch_allowed_networks="127.0.0.1/32",
    )
    container = container_in_memory(settings=settings)
    container.password_hasher.override(providers.Object(fast_hasher()))
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(app, sock, name="aioomi-hooks-app", log_config=None, access_log=False, lifespan="on"):
        yield base, settings
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with served_receiver() as receiver:
        yield receiver


async def sign_up(page: Any, settings: Settings, email: str) -> None:
    status = await page.evaluate(
        """async (email) => (await fetch('/api/v1/auth/signup', {method: 'POST',
        headers: {'content-type': 'application/json'}, body: JSON.stringify({email, full_name: 'Ada Hooks',
        password: 'a long and unusual passphrase', adult: true, accepted_policy_version: (await (await
        fetch('/api/v1/auth/policy')).json()).version})})).status""",
        email,
    )
    assert status == 202
    token = re.findall(r"token=([^\s&]+)", wait_for_mail(settings.outbox_dir, email, "verify_email").text)[0]
    assert (
        await page.evaluate(
            """async (token) => (await fetch('/api/v1/auth/verify-email', {method: 'POST',
        headers: {'content-type': 'application/json'}, body: JSON.stringify({token})})).status""",
            token,
        )
        == 200
    )


async def test_an_owner_adds_an_endpoint_sends_a_test_event_and_reads_its_delivery(
    served: tuple[str, Settings], receiver: WebhookReceiver
) -> None:
    base, settings = served
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{base}/sign-in")
        await sign_up(page, settings, "ada.hooks@example.com")
        await page.goto(f"{base}/dashboard/webhooks")
        await page.get_by_text("No endpoints yet.").wait_for()
        await page.get_by_label("Address (https://…)").fill(receiver.url)
        await page.get_by_label("Description (for you)").fill("Kettle CRM")
        await page.get_by_role("button", name="Add endpoint").click()
        secret_box = page.locator("#secret-value")
        await page.wait_for_function("() => document.querySelector('#secret-value').textContent.startsWith('whsec_')")
        secret = (await secret_box.text_content()) or ""
        receiver.secret = secret
        await page.get_by_role("link", name="Done").click()
        await page.get_by_role("link", name=receiver.url).click()
        assert secret not in await page.content()
        await page.get_by_role("button", name="Send test event").click()
        await page.get_by_text("A test event is on its way").wait_for()
        deadline = time.monotonic() + 15
        while not receiver.received:
            assert time.monotonic() < deadline, "the worker delivered nothing"
            await asyncio.sleep(0.1)
        [got] = receiver.received
        assert got.verified and got.body is not None and got.body["type"] == "webhook.test"
        await page.reload()
        await page.get_by_text("200 delivered").wait_for()
        assert got.webhook_id in await page.content() and secret not in await page.content()
        assert errors == []
        await browser.close()
