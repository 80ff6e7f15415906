"""The HTTP edge in a real browser (Debian's Chromium driven by Playwright, the app under uvicorn
on 127.0.0.1, the memory container).

- Open redirect: a real sign-in through the dashboard's form with each known bypass in
  ``?next=`` ends on this origin (the dashboard's home), never elsewhere; a genuine path is kept.
- Content-Security-Policy: the dashboard's pages and the API docs work under their CSP, and the
  browser reports no violation."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.entrypoints.http.app import create_app
from tests.integration.accounts_support import (
    PASSWORD,
    build_container,
    link_token,
    make_settings,
    sign_up_body,
    wait_for_mail,
)
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]

# Each would send the browser to evil.example (or run script) if taken as is.
BYPASSES = [
    "/\t/evil.example/phish",
    "/\n/evil.example/phish",
    "/\r/evil.example/phish",
    "//evil.example/phish",
    "///evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "/\\/evil.example/phish",
    "http://evil.example/phish",
    "https:evil.example/phish",
    "javascript:location='http://evil.example/phish'",
    "/\u3000/evil.example/phish",
]
OWNERS = ["ada@example.com", "grace@example.com", "hedy@example.com"]  # sign-ins spread over accounts


@dataclass
class Served:
    base: str


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-edge-browser-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(data_dir / "aioomi", public_url=base)
    app = create_app(build_container("memory", settings), manage_lifecycle=True, run_worker=True)  # mails sign-ups
    with serve_in_thread(app, sock, name="aioomi-edge-browser", log_config=None, access_log=False, lifespan="on"):
        with httpx.Client(base_url=base, timeout=30) as client:
            for email in OWNERS:
                assert client.post("/api/v1/auth/signup", json=sign_up_body(email)).status_code == 202
                token = link_token(wait_for_mail(settings.outbox_dir, email, "verify_email"))
                client.cookies.clear()  # a link opened while another owner is signed in is refused
                assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
        yield Served(base=base)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@dataclass
class Watched:
    page: Page
    requests: list[str]
    console: list[str]
    errors: list[str]

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m]


async def _page(browser: Browser) -> tuple[Any, Watched]:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(15_000)
    watched = Watched(page=page, requests=[], console=[], errors=[])
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return context, watched


async def _sign_in(page: Page, base: str, email: str, next_path: str) -> None:
    await page.goto(f"{base}/sign-in?next={quote(next_path, safe='')}")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lambda url: not url.startswith(f"{base}/sign-in"))


@pytest.mark.parametrize("next_path", BYPASSES)
async def test_signing_in_with_a_hostile_next_stays_on_this_origin(
    served: Served, browser: Browser, next_path: str
) -> None:
    context, watched = await _page(browser)
    try:
        await _sign_in(watched.page, served.base, OWNERS[BYPASSES.index(next_path) % len(OWNERS)], next_path)
        await watched.page.get_by_role("heading", name="Agents").wait_for()
        landed = urlsplit(watched.page.url)
        assert f"{landed.scheme}://{landed.netloc}" == served.base, watched.page.url
        assert landed.path == "/dashboard/agents"
        own = urlsplit(served.base).netloc
        assert [u for u in watched.requests if urlsplit(u).netloc not in (own, "")] == []
        assert watched.csp_violations() == [] and watched.errors == []
    finally:
        await context.close()


async def test_a_genuine_next_is_where_signing_in_ends(served: Served, browser: Browser) -> None:
    context, watched = await _page(browser)
    try:
        await _sign_in(watched.page, served.base, OWNERS[0], "/dashboard/usage?days=90")
        assert watched.page.url == f"{served.base}/dashboard/usage?days=90"
    finally:
        await context.close()


async def test_the_dashboard_and_the_api_docs_work_under_their_csp(served: Served, browser: Browser) -> None:
    context, watched = await _page(browser)
    page, base = watched.page, served.base
    try:
        await _sign_in(page, base, OWNERS[1], "/dashboard/agents")
        # The page's script works: theme switch, then a form posted through the API.
        await page.get_by_role("button", name="Dark theme").click()
        assert await page.evaluate("document.documentElement.dataset.theme") == "dark"
        await page.get_by_label("Name").fill("CSP helper")
        await page.get_by_role("button", name="Create agent").click()
        await page.wait_for_url(lambda url: "/dashboard/agents/agt_" in url)
        await page.get_by_label("Title", exact=True).fill("Shop help")
        assert await page.locator("#widget-preview aioomi-widget header h2").inner_text() == "Shop help"
        for path in ("/dashboard/conversations", "/dashboard/usage", "/dashboard/billing", "/dashboard/account"):
            response = await page.goto(f"{base}{path}")
            assert response is not None and response.status == 200, path
            assert "frame-ancestors 'none'" in (await response.all_headers())["content-security-policy"]
        # Swagger UI renders the API from its own script file.
        await page.goto(f"{base}/schema")
        await page.locator(".swagger-ui .opblock").first.wait_for()
        assert watched.csp_violations() == [], watched.csp_violations()
        assert watched.errors == [], watched.errors
    finally:
        await context.close()
