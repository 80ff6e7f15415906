"""A whole live handoff in Chromium, two browser contexts: a visitor with the widget on a host page
and the owner in the dashboard inbox, against the app served by uvicorn on PostgreSQL (worker in
the process). Request, live notification, replies both ways, a dropped connection and a reload
with nothing lost or doubled, hand back, and the assistant answering again. Screenshots go to
test-artifacts/handoff/."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from testkit.postgres import TestPostgres
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.container import container_on_postgres
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import link_token, sign_up_body, wait_for_mail
from tests.integration.chat_support import RETURNS
from tests.support.axe import install_axe, serious_violations
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.unit.chat_support import ListSearch

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "handoff"
EMAIL = "inbox-owner@example.com"

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@dataclass
class Served:
    base: str
    outbox: str
    model: ScriptedChatModel


@pytest.fixture(scope="module")
async def handoff_db(test_postgres: TestPostgres) -> AsyncIterator[str]:
    conninfo = await test_postgres.create_database()
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture(scope="module")
def served(handoff_db: str) -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-handoff-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Streams end every 2 s (and the widget reconnects with Last-Event-ID), so a dropped
    # connection is met within the test.
    settings = Settings(
        data_dir=str(data_dir),
        log_format="console",
        public_url=base,
        worker_poll_s=0.2,
        demo="off",
        handoff_poll_s=0.1,
        handoff_stream_max_s=2,
    )
    container = container_on_postgres(settings=settings, conninfo=handoff_db)
    model = ScriptedChatModel(reply=lambda request: "You can return any item within 30 days [1].")
    container.chat_model.override(providers.Object(model))
    container.passage_search.override(providers.Object(ListSearch([RETURNS])))
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(
        app,
        sock,
        name="aioomi-handoff-app",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ):
        yield Served(base=base, outbox=settings.outbox_dir, model=model)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser(served: Served) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


def owner_with_agent(served: Served) -> tuple[str, str]:
    """Sign up, verify, create an agent allowed on the host page, turn handoff on (always open):
    the session cookie and the agent's public key."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        signed_up = client.post("/api/v1/auth/signup", json=sign_up_body(EMAIL, full_name="Ana Owner"))
        assert signed_up.status_code == 202, signed_up.text
        token = link_token(wait_for_mail(served.outbox, EMAIL, "verify_email"))
        verified = client.post("/api/v1/auth/verify-email", json={"token": token})
        assert verified.status_code == 200, verified.text
        cookie, csrf = verified.cookies["aioomi_session"], verified.json()["csrf_token"]
        headers = {"X-CSRF-Token": csrf}
        agent = client.post(
            "/api/v1/agents",
            headers=headers,
            json={"name": "Shop helper", "allowed_origins": [served.base], "greeting": "Hi! Ask me anything."},
        )
        assert agent.status_code == 201, agent.text
        settings = client.patch(
            f"/api/v1/agents/{agent.json()['id']}/handoff-settings",
            headers=headers,
            json={
                "enabled": True,
                "time_zone": "Europe/Paris",
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "opens": "00:00",
                "closes": "24:00",
                "max_wait_s": 600,
            },
        )
        assert settings.status_code == 200, settings.text
        return cookie, agent.json()["public_key"]


def w(selector: str) -> str:
    return f"aioomi-widget {selector}"


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in await page.locator(selector).all_inner_texts()]


async def until(check: Any, what: str, within_s: float = 15.0) -> None:
    """Wait until the async ``check()`` is true (a browser condition that has no locator)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        assert loop.time() < deadline, f"not within {within_s} s: {what}"
        await asyncio.sleep(0.1)


async def test_a_whole_handoff_between_a_visitor_and_the_owner(browser: Browser, served: Served) -> None:
    cookie, public_key = owner_with_agent(served)
    host_page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title></head><body>"
        f"<h1>Our shop</h1><script src='{served.base}/widget.js' data-agent-key='{public_key}' async>"
        "</script></body></html>"
    )

    visitor_context = await browser.new_context()
    visitor_context.set_default_timeout(30_000)
    visitor = await visitor_context.new_page()
    await install_axe(visitor)
    errors: list[str] = []
    resumes: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.on(
        "request",
        lambda r: resumes.append(r.headers.get("last-event-id", "")) if r.url.endswith("/handoff/events") else None,
    )

    async def host(route: Any) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=host_page)

    await visitor.route(f"{served.base}/shop.html", host)
    await visitor.goto(f"{served.base}/shop.html")
    await visitor.locator(w(".launcher")).click()
    await visitor.locator(w("textarea")).fill("Can I return an item?")
    await visitor.keyboard.press("Enter")
    await visitor.locator(w(".msg.bot .sources")).wait_for()
    assert len(served.model.requests) == 1

    owner_context = await browser.new_context()
    owner_context.set_default_timeout(30_000)
    await owner_context.add_cookies([{"name": "aioomi_session", "value": cookie, "url": served.base}])
    owner = await owner_context.new_page()
    await install_axe(owner)
    owner.on("pageerror", lambda error: errors.append("owner: " + str(error)))
    await owner.goto(f"{served.base}/dashboard/inbox")
    await owner.locator("#inbox-empty").wait_for()

    # The visitor asks for a person; the owner's inbox shows it at once (SSE), with a notice.
    person = visitor.locator(w(".handoff button"), has_text="Talk to a person")
    await person.click()
    await visitor.locator(w(".note"), has_text="Waiting for a person").wait_for()
    item = owner.locator("#inbox-list button", has_text="Waiting for a person")
    await item.wait_for()
    assert "A visitor is waiting" in await owner.locator("#inbox-status").inner_text()
    await shot(owner, "inbox-waiting")

    # The assistant is silent now: the visitor's message goes to the person.
    await visitor.locator(w("textarea")).fill("Is anyone there?")
    await visitor.keyboard.press("Enter")
    await item.click()
    await owner.locator("#thread-log li", has_text="Visitor: Is anyone there?").wait_for()
    await owner.locator("#thread-take").click()
    await owner.locator("#thread-state", has_text="With you").wait_for()
    await visitor.locator(w(".note"), has_text="A person joined").wait_for()

    async def reply(text: str) -> None:
        await owner.locator("#thread-text").fill(text)
        await owner.locator("#thread-reply button[type=submit]").click()
        try:
            await owner.locator("#thread-log li.owner", has_text=text).wait_for()
        except Exception:
            print(
                "OWNER STATUS", await owner.locator("#inbox-status").inner_text(), await texts(owner, "#thread-log li")
            )
            raise

    await reply("Hi, Ana here. Yes, within 30 days.")
    await visitor.locator(w(".msg.person"), has_text="Ana here").wait_for()
    assert await serious_violations(owner) == [], "the inbox with a conversation open"
    assert await serious_violations(visitor) == [], "the widget with a person's reply"
    await visitor.locator(w("textarea")).fill("Thanks Ana!")
    await visitor.keyboard.press("Enter")
    await owner.locator("#thread-log li", has_text="Visitor: Thanks Ana!").wait_for()

    # The visitor's connection drops; the owner writes twice meanwhile; back online, both arrive once.
    await visitor_context.set_offline(True)
    await asyncio.sleep(2.5)  # past the stream's 2 s: it ended, and reconnecting fails while offline
    await reply("Do you have the receipt?")
    await reply("A photo of it is fine.")
    await visitor_context.set_offline(False)
    await visitor.locator(w(".msg.person"), has_text="A photo of it is fine.").wait_for()
    persons = await texts(visitor, w(".msg.person .md"))
    assert persons == ["Hi, Ana here. Yes, within 30 days.", "Do you have the receipt?", "A photo of it is fine."]
    assert any(header not in ("", "0") for header in resumes), f"the stream resumed with Last-Event-ID: {resumes}"
    assert await visitor.locator(w(".msg.user"), has_text="Thanks Ana!").count() == 1
    await shot(visitor, "visitor-with-person")

    # A reload: the history comes back (the person's replies labelled), the stream resumes, nothing doubles.
    await visitor.reload()
    await visitor.locator(w(".launcher")).click()
    await visitor.locator(w(".msg.person .who")).first.wait_for()
    await reply("Still here after your reload.")
    await visitor.locator(w(".msg.person"), has_text="Still here after your reload.").wait_for()
    await asyncio.sleep(0.5)
    assert await texts(visitor, w(".msg.person .md")) == persons + ["Still here after your reload."]
    assert await texts(visitor, w(".msg.user")) == ["Can I return an item?", "Is anyone there?", "Thanks Ana!"]
    assert await texts(visitor, w(".msg.person .who")) == ["Team member"] * 4

    # Save a reply as a Q&A pair, then hand back: the assistant answers again.
    await owner.locator("#thread-log li.owner button", has_text="Save as Q&A pair").first.click()
    await owner.locator("#inbox-status", has_text="Saved as a Q&A pair").wait_for()
    await owner.locator("#thread-back").click()
    await visitor.locator(w(".note"), has_text="The assistant is back").wait_for()
    await owner.locator("#inbox-empty").wait_for(state="visible")
    await visitor.locator(w("textarea")).fill("Can I return an item after two weeks?")
    await visitor.keyboard.press("Enter")
    await until(lambda: _answered(visitor), "the assistant answered again")
    assert len(served.model.requests) == 2
    await shot(visitor, "visitor-assistant-again")
    assert errors == []
    await visitor_context.close()
    await owner_context.close()


async def _answered(page: Page) -> bool:
    bubbles = await texts(page, w(".msg.bot:not(.person):not(.intro) .md"))
    return len([b for b in bubbles if "within 30 days" in b]) == 2
