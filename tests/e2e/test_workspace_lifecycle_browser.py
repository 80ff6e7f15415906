"""The workspace lifecycle in Chromium (issue 21): a signed-in person creates a second workspace
from the top bar ("New workspace") and lands in it, exports it from the members page (the worker,
in the process, builds the archive and the page offers its download), then deletes it from the
danger zone (password confirmed, name typed) and is back in their own workspace, the switcher
gone. The app is served by uvicorn on PostgreSQL. Screenshots go to test-artifacts/workspaces/."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from testkit.postgres import TestPostgres
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.container import container_on_postgres
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import PASSWORD, link_token, sign_up_body, wait_for_mail
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workspaces"
PERSON = "two-shops@example.com"

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@dataclass
class Served:
    base: str
    outbox: str


@pytest.fixture(scope="module")
async def lifecycle_db(test_postgres: TestPostgres) -> AsyncIterator[str]:
    conninfo = await test_postgres.create_database()
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture(scope="module")
def served(lifecycle_db: str) -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-workspaces-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(data_dir=str(data_dir), log_format="console", public_url=base, worker_poll_s=0.2, demo="off")
    container = container_on_postgres(settings=settings, conninfo=lifecycle_db)
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(
        app,
        sock,
        name="aioomi-workspaces-app",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ):
        yield Served(base=base, outbox=settings.outbox_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser(served: Served) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def signed_up(served: Served) -> tuple[str, str]:
    """Sign up and verify through the API: the person's id and session cookie."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        assert (
            client.post("/api/v1/auth/signup", json=sign_up_body(PERSON, full_name="Tess Twoshops")).status_code == 202
        )
        token = link_token(wait_for_mail(served.outbox, PERSON, "verify_email"))
        verified = client.post("/api/v1/auth/verify-email", json={"token": token})
        assert verified.status_code == 200, verified.text
        return verified.json()["account"]["id"], verified.cookies["aioomi_session"]


async def test_a_person_creates_exports_and_deletes_a_workspace(browser: Browser, served: Served) -> None:
    account_id, cookie = await asyncio.to_thread(signed_up, served)
    context = await browser.new_context()
    context.set_default_timeout(30_000)
    await context.add_cookies([{"name": "aioomi_session", "value": cookie, "url": served.base}])
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))

    # "New workspace" in the top bar: created, and the session acts in it at once.
    await page.goto(f"{served.base}/dashboard/agents")
    assert await page.locator("#workspace-switch").count() == 0  # one workspace: no switcher yet
    await page.locator(".new-workspace summary").click()
    await page.locator("#new-workspace-name").fill("Second shop")
    async with page.expect_navigation(url=f"{served.base}/dashboard/agents"):
        await page.locator("#new-workspace button[type=submit]").click()
    chosen = page.locator("#workspace-switch option:checked")
    assert (await chosen.inner_text()) == "Second shop (owner)"
    second = await chosen.get_attribute("value")
    assert second is not None and second.startswith("ws_") and second != account_id
    await shot(page, "created")

    # The workspace's export: a password from the last minutes, then the archive is offered.
    await page.goto(f"{served.base}/dashboard/members")
    await page.locator("#f-ws-reauth-password").fill(PASSWORD)
    await page.locator("#ws-reauth button[type=submit]").click()
    await page.locator("#ws-reauth .form-status", has_text="Confirmed").wait_for()
    await page.locator("#export-workspace").click()
    download = page.locator("#export-download")
    await download.wait_for()
    assert "/api/v1/account/exports/download?token=" in ((await download.get_attribute("href")) or "")
    await shot(page, "exported")

    # The danger zone: a wrong name is refused, the right one deletes it.
    await page.locator("#f-delete-ws-name").fill("Second")
    await page.locator("#delete-workspace button[type=submit]").click()
    await page.locator("#delete-workspace .form-status", has_text="Type the workspace's name").wait_for()
    await page.locator("#f-delete-ws-name").fill("Second shop")
    async with page.expect_navigation(url=f"{served.base}/dashboard/agents"):
        await page.locator("#delete-workspace button[type=submit]").click()
    assert await page.locator("#workspace-switch").count() == 0  # back to one workspace: her own
    await shot(page, "deleted")
    async with httpx.AsyncClient(base_url=served.base, timeout=30, cookies={"aioomi_session": cookie}) as api:
        listed = (await api.get("/api/v1/workspaces")).json()["data"]
    assert [(w["id"], w["current"]) for w in listed] == [(account_id, True)]
    assert errors == []
