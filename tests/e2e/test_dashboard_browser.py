"""The owner dashboard in a real browser: Debian's Chromium driven by Playwright, against the app
served by uvicorn on 127.0.0.1 on PostgreSQL, the worker in the server process, offline models.

A new owner signs up, confirms the email from the outbox, switches the theme, creates an agent
and styles it with the live preview, uploads a document and waits for it to be ready, tries
retrieval, chats in the preview, reads the conversation with its citations, sees the usage,
exports their data, restricts processing and lifts it, objects, reads the audit log, and
deletes the account. Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from dependency_injector import providers
from testkit.postgres import TestPostgres
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.container import container_on_postgres
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentStatus
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import wait_for_mail
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
EMAIL = "grace@example.com"
PASSWORD = "a long and unusual passphrase"
DOCUMENT = """# Returns policy

Customers may return any unused item within 45 days of delivery for a full refund.
Refunds are paid to the original card within five working days of the parcel arriving.

## Exchanges

Shoes can be exchanged for another size once, free of charge.
"""

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@dataclass
class Served:
    base: str
    container: Any
    loop: asyncio.AbstractEventLoop
    settings: Settings
    privacy: bool

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop (where the container's pool lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)


@pytest.fixture(scope="module")
async def dashboard_db(test_postgres: TestPostgres) -> AsyncIterator[str]:
    conninfo = await test_postgres.create_database()
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture(scope="module")
def served(dashboard_db: str) -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-dashboard-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(data_dir=str(data_dir), log_format="console", public_url=base, worker_poll_s=0.2)
    container = container_on_postgres(settings=settings, conninfo=dashboard_db)
    container.password_hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost_kib=8, parallelism=1))
    )
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    routes = {(method, route.path) for route in app.routes for method in getattr(route, "methods", ())}
    privacy = {("POST", "/api/v1/account/export"), ("DELETE", "/api/v1/account")} <= routes
    with serve_in_thread(
        app,
        sock,
        name="aioomi-dashboard-app",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ) as loop:
        yield Served(base=base, container=container, loop=loop, settings=settings, privacy=privacy)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser(served: Served) -> AsyncIterator[Browser]:
    profile = tempfile.mkdtemp(prefix="aioomi-chromium-")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            permissions=["clipboard-read", "clipboard-write"],
        )
        yield context
        await context.close()
    shutil.rmtree(profile, ignore_errors=True)


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _link(served: Served, kind: str) -> str:
    mail = wait_for_mail(served.settings.outbox_dir, EMAIL, kind)  # the worker thread mails it
    found = re.findall(r"https?://\S+", mail.text)
    assert len(found) == 1, mail.text
    return found[0]


async def test_a_new_owner_goes_from_sign_up_to_deleting_the_account(served: Served, browser: Any) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    page.set_default_timeout(15_000)
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Every page runs under a Content-Security-Policy: a violation is a script error too.
    page.on(
        "console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None
    )

    async def accept(dialog: Any) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    base = served.base

    # Signed out, `/` is the sign-in page; from there to sign-up.
    await page.goto(f"{base}/")
    assert page.url == f"{base}/sign-in"
    await page.get_by_role("link", name="Create an account").click()
    await page.wait_for_url(f"{base}/sign-up")
    await page.get_by_label("Full name").fill("Grace Hopper")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    # The browser's own validation stops a form without the 18+ and policy boxes.
    assert await page.get_by_label("I am 18 or older").evaluate("box => !box.checkValidity()")
    await page.get_by_label("I am 18 or older").check()
    await page.get_by_label(re.compile("I accept the privacy policy")).check()
    await shot(page, "01-sign-up")
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("heading", name="Check your e-mail").wait_for()

    # The link from the outbox confirms the address and signs the owner in.
    await page.goto(_link(served, "verify_email"))
    await page.get_by_role("button", name="Confirm my email").click()
    await page.wait_for_url(f"{base}/dashboard/agents")
    await page.get_by_role("heading", name="Agents").wait_for()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip-link", "the skip link comes first"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"

    # Theme: dark, remembered in localStorage across a reload.
    await page.get_by_role("button", name="Dark theme").click()
    assert await page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert await page.evaluate("localStorage.getItem('aioomi_theme')") == "dark"
    await page.reload()
    assert await page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert await page.get_by_role("button", name="Light theme").get_attribute("aria-pressed") == "true"

    # A new agent, styled with the live preview.
    await page.get_by_label("Name").fill("Shop assistant")
    await page.get_by_role("button", name="Create agent").click()
    await page.wait_for_url(re.compile(rf"{re.escape(base)}/dashboard/agents/agt_\w+$"))
    agent_id = page.url.rsplit("/", 1)[1]
    await page.get_by_label("Greeting (empty: none)").fill("Hello! Ask me about returns.")
    await page.get_by_label("Starter questions (one a line, at most 6)").fill("How do returns work?\nCan I swap shoes?")
    await page.get_by_label("Title", exact=True).fill("Shop help")
    await page.locator("#f-widget\\.primary_color").fill("#aa3311")
    # The preview is the real widget (in its shadow root) with the unsaved settings.
    preview = page.locator("#widget-preview aioomi-widget")
    assert await preview.locator(".msg.bot.intro").inner_text() == "Hello! Ask me about returns."
    assert await preview.locator(".starters button").all_inner_texts() == ["How do returns work?", "Can I swap shoes?"]
    assert await preview.locator("header h2").inner_text() == "Shop help"
    assert await preview.locator("header").evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(170, 51, 17)"
    await page.get_by_label("Allowed origins (one a line, like https://www.example.com)").fill(
        "https://shop.example.com"
    )
    await page.get_by_role("button", name="Save changes").click()
    await page.get_by_text("Saved.").wait_for()
    principal = Principal.own(account_id=(await page.evaluate("fetch('/api/v1/account').then(r => r.json())"))["id"])
    agent = served.run(served.container.get_agent()(principal, agent_id))
    assert agent.greeting == "Hello! Ask me about returns."
    assert list(agent.starter_questions) == ["How do returns work?", "Can I swap shoes?"]
    assert agent.widget.primary_color == "#aa3311" and agent.widget.title == "Shop help"
    assert list(agent.allowed_origins) == ["https://shop.example.com"]
    await page.get_by_role("button", name="Copy snippet").click()
    await page.get_by_text("Copied.").wait_for()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied == f'<script src="{base}/widget.js" data-agent-key="{agent.public_key}" async></script>'

    # Knowledge base: upload, watch the status reach ready, try retrieval.
    await page.get_by_role("link", name="Knowledge base").click()
    await page.wait_for_url(f"{base}/dashboard/agents/{agent_id}/knowledge")
    await page.get_by_label(re.compile(r"^File")).set_input_files(
        {"name": "returns.md", "mimeType": "text/markdown", "buffer": DOCUMENT.encode()}
    )
    await page.get_by_label("Title (optional)").fill("Returns policy")
    await page.get_by_role("button", name="Upload", exact=True).click()
    row = page.locator("#documents tr[data-doc]")
    await row.first.wait_for()
    await row.locator(".badge.ready").wait_for(timeout=45_000)  # updated in place by polling
    assert await row.count() == 1
    documents = served.run(served.container.list_documents()(principal, agent_id, limit=10))
    assert [(d.title, d.status) for d in documents.items] == [("Returns policy", DocumentStatus.READY)]
    await page.get_by_label("Question").fill("how many days to return an item")
    await page.get_by_role("button", name="Search").click()
    first_hit = page.locator("#search-results li").first
    await first_hit.wait_for()
    assert "Returns policy" in await first_hit.inner_text() and "45 days" in await first_hit.inner_text()
    await shot(page, "02-knowledge-dark")

    # Back to the light theme; chat with the agent in the preview.
    await page.get_by_role("button", name="Light theme").click()
    assert await page.evaluate("localStorage.getItem('aioomi_theme')") == "light"
    await page.get_by_role("link", name="Settings and preview").click()
    preview = page.locator("#widget-preview aioomi-widget")
    await preview.locator("textarea").fill("How many days do I have to return an item?")
    await preview.get_by_role("button", name="Send").click()
    answer = preview.locator(".msg.bot").last
    await answer.locator(".sources").wait_for(timeout=30_000)
    assert "45 days" in await answer.locator(".md").inner_text()
    assert "Returns policy" in await answer.locator(".sources li").first.inner_text()
    # A change of setting redraws the widget and keeps the conversation.
    await page.get_by_label("Title", exact=True).fill("Shop help desk")
    assert await preview.locator("header h2").inner_text() == "Shop help desk"
    assert await preview.locator(".msg.user").all_inner_texts() == ["How many days do I have to return an item?"]
    await page.get_by_label("Title", exact=True).fill("Shop help")
    await page.get_by_role("button", name="Save changes").click()
    await page.get_by_text("Saved.").wait_for()
    await shot(page, "03-agent-editor")
    # The preview asks through /v1 with the owner's session: it never calls the visitors' widget API.
    assert [u for u in requests if "/api/v1/widget/" in u] == []

    # The conversation, with its citation.
    await page.get_by_role("link", name="Conversations", exact=True).first.click()
    await page.wait_for_url(re.compile(rf"{re.escape(base)}/dashboard/conversations"))
    await page.get_by_role("link", name=re.compile("^Read")).first.click()
    await page.get_by_text("How many days do I have to return an item?").wait_for()
    citations = page.locator("ol.citations li")
    assert await citations.count() >= 1 and "Returns policy" in await citations.first.inner_text()

    # Usage: the message and its tokens, drawn as charts, against the plan's allowance.
    await page.get_by_role("link", name="Usage").click()
    await page.wait_for_url(f"{base}/dashboard/usage")
    assert await page.locator("#total-messages").inner_text() == "1"
    # The offline responder calls no model: the answer is a message with 0 tokens.
    assert await page.locator("#total-tokens").inner_text() == "0"
    assert await page.locator("svg.chart[role=img]").count() == 1  # messages; no tokens to draw
    assert await page.locator("svg.chart rect.bar").count() >= 30
    # No billing and no plans configured (self-hosted): no allowance, so no meter, and it says so.
    assert await page.locator("[role=meter]").count() == 0
    assert "of unlimited" in await page.locator("main").inner_text()
    await shot(page, "04-usage")

    # Account and privacy: export the data, then delete the account.
    await page.get_by_role("link", name="Account").click()
    await page.wait_for_url(f"{base}/dashboard/account")
    if not served.privacy:  # the privacy endpoints are not served: the page says so
        assert "Not available on this server yet" in await page.locator("body").inner_text()
        await shot(page, "05-account")
        _nothing_foreign_and_no_script_errors(base, requests, errors)
        return
    await page.get_by_role("button", name="Export my data").click()
    download = page.locator("#export-download")
    await download.wait_for(timeout=45_000)  # built by the worker, then a short-lived link
    archive = await page.evaluate(
        """async (url) => {
        const r = await fetch(url); const b = new Uint8Array(await r.arrayBuffer());
        return {status: r.status, type: r.headers.get('content-type'), magic: String.fromCharCode(b[0], b[1]), size: b.length};
    }""",
        await download.get_attribute("href"),
    )
    assert archive["status"] == 200 and archive["magic"] == "PK" and archive["size"] > 100, archive
    # Restrict processing and lift it; object to analytics; each lands in the audit log.
    await page.get_by_role("button", name="Restrict processing").click()
    await page.get_by_text(re.compile("restricted since")).wait_for()
    await page.get_by_role("button", name="Lift the restriction").click()
    await page.get_by_role("button", name="Restrict processing").wait_for()
    await page.get_by_role("button", name="Object", exact=True).click()
    await page.get_by_role("button", name="Withdraw the objection").wait_for()
    audit = await page.locator("#audit-log").inner_text()
    assert "export" in audit and "restrict" in audit and "object" in audit, audit
    await shot(page, "05-account")

    await page.locator("#f-delete-password").fill(PASSWORD)
    await page.locator("#delete-account").get_by_role("button", name="Delete my account").click()
    await page.wait_for_url(f"{base}/sign-in")
    await page.goto(f"{base}/dashboard/agents")
    assert urlsplit(page.url).path == "/sign-in", "the session ended with the account"
    assert served.run(_account_status(served, principal)) == "deletion_pending"

    _nothing_foreign_and_no_script_errors(base, requests, errors)


def _nothing_foreign_and_no_script_errors(base: str, requests: list[str], errors: list[str]) -> None:
    own = urlsplit(base).netloc
    assert not [u for u in requests if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != own]
    assert not errors, errors


async def _account_status(served: Served, principal: Principal) -> str:
    async with served.container.uow()(account_id=None) as uow:
        account = await uow.accounts.get(principal.account_id)
        return "gone" if account is None else str(account.status)


async def _owner_with_agent(page: Any, served: Served, email: str) -> str:
    """Sign up and confirm a new owner in this page's browser, create an agent, return its id."""
    signed = await page.evaluate(
        """async (email) => (await fetch('/api/v1/auth/signup', {method: 'POST',
        headers: {'content-type': 'application/json'}, body: JSON.stringify({email, full_name: 'Ada Axe',
        password: 'a long and unusual passphrase', adult: true, accepted_policy_version: (await (await
        fetch('/api/v1/auth/policy')).json()).version})})).status""",
        email,
    )
    assert signed == 202
    token = re.findall(r"token=([^\s&]+)", wait_for_mail(served.settings.outbox_dir, email, "verify_email").text)[0]
    csrf = await page.evaluate(
        """async (token) => (await (await fetch('/api/v1/auth/verify-email', {method: 'POST',
        headers: {'content-type': 'application/json'}, body: JSON.stringify({token})})).json()).csrf_token""",
        token,
    )
    agent = await page.evaluate(
        """async (csrf) => (await (await fetch('/api/v1/agents', {method: 'POST',
        headers: {'content-type': 'application/json', 'x-csrf-token': csrf},
        body: JSON.stringify({name: 'Axe helper', greeting: 'Hi', starter_questions: ['One?']})})).json()).id""",
        csrf,
    )
    return str(agent)


# Colours and launcher of a widget (in its shadow root), the same on a host page and in the preview.
WIDGET_LOOK = """host => { const root = host.shadowRoot;
    const look = sel => { const s = getComputedStyle(root.querySelector(sel)); return [s.color, s.backgroundColor]; };
    const launcher = root.querySelector('.launcher');
    return {header: look('header'), launcher: look('.launcher'), send: look('form .icon'), panel: look('.panel'),
            starter: look('.starters button'), greeting: look('.msg.bot'), tag: launcher.tagName,
            label: launcher.getAttribute('aria-label'), text: launcher.textContent,
            expanded: launcher.getAttribute('aria-expanded')}; }"""


async def test_a_preview_that_cannot_load_collapses_to_a_short_message(served: Served, browser: Any) -> None:
    page = await browser.new_page()
    page.set_default_timeout(15_000)
    await page.context.clear_cookies()
    await page.goto(f"{served.base}/sign-in")
    agent = await _owner_with_agent(page, served, "nora.nowidget@example.com")
    await page.route(f"{served.base}/widget.js", lambda route: route.abort("connectionrefused"))
    await page.goto(f"{served.base}/dashboard/agents/{agent}")
    await page.wait_for_load_state("load")
    note = page.locator("#preview-broken")
    await note.wait_for()
    assert await note.inner_text() == (
        "The live preview could not load. Your changes still save: the widget on your site shows them."
    )
    assert await page.locator("#widget-preview").is_hidden()
    card = await page.locator("section[aria-labelledby='preview-h']").bounding_box()
    assert card is not None and card["height"] < 250, card  # no tall blank column beside the form
    await page.close()


async def test_every_page_at_390px_scrolls_no_wider_and_has_no_serious_axe_violation(
    served: Served, browser: Any
) -> None:
    from tests.support.axe import install_axe, serious_violations

    page = await browser.new_page()
    page.set_default_timeout(15_000)
    await install_axe(page)
    await page.set_viewport_size({"width": 390, "height": 844})
    base = served.base
    found: dict[str, list[str]] = {}

    async def check(path: str) -> None:
        await page.goto(f"{base}{path}")
        await page.wait_for_load_state("load")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        wide = await page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(n => n.getBoundingClientRect().right > 391)
            .slice(0, 5).map(n => n.tagName + '.' + n.className + ' ' + Math.round(n.getBoundingClientRect().right))""")
        assert width <= 390, f"{path} scrolls sideways at 390 px ({width} px wide): {wide}"
        violations = await serious_violations(page)
        if violations:
            found[path] = violations

    await page.context.clear_cookies()
    for path in ["/sign-in", "/sign-up", "/forgot-password"]:
        await check(path)

    # A wrong password says so, in the server's words (not "your session has ended").
    await page.goto(f"{base}/sign-in")
    await page.get_by_label("Email").fill("nobody@example.com")
    await page.get_by_label("Password").fill("not the password at all")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    status = page.locator(".form-status.error")
    await status.wait_for()
    said = await status.inner_text()
    assert "session has ended" not in said and said.strip(), said

    agent = await _owner_with_agent(page, served, "ada.axe@example.com")
    for path in [
        "/dashboard/agents",
        f"/dashboard/agents/{agent}",
        f"/dashboard/agents/{agent}/knowledge",
        f"/dashboard/agents/{agent}/tests",
        "/dashboard/conversations",
        f"/dashboard/analytics?agent_id={agent}",
        "/dashboard/usage",
        "/dashboard/request-log",
        "/dashboard/billing",
        "/dashboard/account",
    ]:
        await check(path)

    # The preview is the real widget with the form's unsaved settings: on a yellow colour its colours
    # are the widget's own on a host page with the same settings (dark text on yellow), and so is its launcher.
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{base}/dashboard/agents/{agent}")
    await page.locator("#f-widget\\.primary_color").fill("#ffd60a")
    await page.locator("#f-widget\\.theme").select_option("light")
    preview = page.locator("#widget-preview aioomi-widget")
    await preview.locator("header").wait_for()
    in_preview = await preview.evaluate(WIDGET_LOOK)
    assert in_preview["header"] == ["rgb(17, 24, 39)", "rgb(255, 214, 10)"], in_preview
    assert in_preview["launcher"] == ["rgb(17, 24, 39)", "rgb(255, 214, 10)"], in_preview
    assert (in_preview["tag"], in_preview["text"]) == ("BUTTON", ""), "an icon launcher until a launcher text is set"
    saved = await page.evaluate(
        """async ([id, origin]) => (await fetch('/api/v1/agents/' + id, {method: 'PATCH',
        headers: {'content-type': 'application/json', 'x-csrf-token': document.querySelector('meta[name=csrf-token]').content},
        body: JSON.stringify({widget: {primary_color: '#ffd60a', theme: 'light'}, allowed_origins: [origin]})})).json()""",
        [agent, base],
    )
    host = await browser.new_page()
    host_html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body><p>Host</p>'
        f'<script src="{base}/widget.js" data-agent-key="{saved["public_key"]}" data-open="true" async></script></body></html>'
    )

    async def host_page(route: Any) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=host_html)

    await host.route(f"{base}/host-page.html", host_page)
    await host.goto(f"{base}/host-page.html")
    real = host.locator("aioomi-widget")
    await real.locator("header").wait_for()
    assert await real.evaluate(WIDGET_LOOK) == in_preview
    # Closed, the launchers are the same button with the same name.
    await preview.locator(".launcher").click()
    await real.locator(".launcher").click()
    closed = await preview.evaluate(WIDGET_LOOK)
    assert closed["label"] == "Open chat: Axe helper" and closed == await real.evaluate(WIDGET_LOOK)
    await host.close()
    await page.get_by_label("Launcher text").fill("Need help?")
    launcher = preview.locator(".launcher")
    assert await launcher.inner_text() == "Need help?"
    assert (await launcher.get_attribute("aria-label") or "").startswith("Need help?")
    # Leaving with those unsaved changes asks first.
    asked: list[str] = []

    async def leave(dialog: Any) -> None:
        asked.append(dialog.type)
        await dialog.accept()

    page.on("dialog", leave)
    await page.goto(f"{base}/dashboard/agents/{agent}/knowledge")
    page.remove_listener("dialog", leave)
    assert asked == ["beforeunload"]

    # Several files at once, picked or dropped.
    await page.goto(f"{base}/dashboard/agents/{agent}/knowledge")
    await page.get_by_label(re.compile(r"^Files")).set_input_files(
        [
            {"name": "one.md", "mimeType": "text/markdown", "buffer": b"# One\n\nThe first file.\n"},
            {"name": "two.md", "mimeType": "text/markdown", "buffer": b"# Two\n\nThe second file.\n"},
        ]
    )
    await page.get_by_role("button", name="Upload", exact=True).click()
    await page.wait_for_function("() => document.querySelectorAll('#documents tbody tr').length === 2")
    dropped = await page.evaluate_handle("""() => { const dt = new DataTransfer();
        dt.items.add(new File(['# Three\\n\\nDropped.'], 'three.md', {type: 'text/markdown'})); return dt; }""")
    await page.dispatch_event("#upload-form", "drop", {"dataTransfer": dropped})
    await page.get_by_role("button", name="Upload", exact=True).click()
    await page.wait_for_function("() => document.querySelectorAll('#documents tbody tr').length === 3")
    await page.close()
    assert found == {}, found
