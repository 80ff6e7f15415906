"""The teams journey in Chromium (issue 21): the owner invites a support member by e-mail; the
member opens the link, signs up from it, switches to the owner's workspace, sees only the inbox,
conversations and leads, answers a visitor's handoff, and is removed: at their next page they are
back in their own workspace. The app is served by uvicorn on PostgreSQL (worker in the process).
Screenshots go to test-artifacts/teams/."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from testkit.postgres import TestPostgres
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.container import container_on_postgres
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import PASSWORD, async_wait_for_mail, link_token, sign_up_body, wait_for_mail
from tests.integration.chat_support import RETURNS
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.unit.chat_support import ListSearch

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "teams"
OWNER, MEMBER = "team-owner@example.com", "team-support@example.com"
VISITOR = "visitor-teams-0123456789"

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@dataclass
class Served:
    base: str
    outbox: str


@pytest.fixture(scope="module")
async def teams_db(test_postgres: TestPostgres) -> AsyncIterator[str]:
    conninfo = await test_postgres.create_database()
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture(scope="module")
def served(teams_db: str) -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-teams-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=str(data_dir), log_format="console", public_url=base, worker_poll_s=0.2, demo="off", handoff_poll_s=0.1
    )
    container = container_on_postgres(settings=settings, conninfo=teams_db)
    container.chat_model.override(providers.Object(ScriptedChatModel(reply=lambda request: "Within 30 days [1].")))
    container.passage_search.override(providers.Object(ListSearch([RETURNS])))
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(
        app,
        sock,
        name="aioomi-teams-app",
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


def owner_with_agent(served: Served) -> tuple[dict[str, str], str, str]:
    """Sign the owner up, verify, create an agent with handoff always open, invite the support
    member: the owner's headers (cookie and CSRF token), account id and the agent's public key."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        assert client.post("/api/v1/auth/signup", json=sign_up_body(OWNER, full_name="Olga Owner")).status_code == 202
        token = link_token(wait_for_mail(served.outbox, OWNER, "verify_email"))
        verified = client.post("/api/v1/auth/verify-email", json={"token": token})
        assert verified.status_code == 200, verified.text
        headers = {
            "X-CSRF-Token": verified.json()["csrf_token"],
            "Cookie": f"aioomi_session={verified.cookies['aioomi_session']}",
        }
        agent = client.post(
            "/api/v1/agents", headers=headers, json={"name": "Shop helper", "allowed_origins": [served.base]}
        )
        assert agent.status_code == 201, agent.text
        every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        office = {"enabled": True, "time_zone": "UTC", "days": every_day, "opens": "00:00", "closes": "24:00"}
        settings = client.patch(
            f"/api/v1/agents/{agent.json()['id']}/handoff-settings", headers=headers, json=office | {"max_wait_s": 600}
        )
        assert settings.status_code == 200, settings.text
        invited = client.post(
            "/api/v1/workspace/invitations", headers=headers, json={"email": MEMBER, "role": "support"}
        )
        assert invited.status_code == 201, invited.text
        return headers, verified.json()["account"]["id"], agent.json()["public_key"]


def visitor_asks_for_a_person(served: Served, public_key: str) -> None:
    widget = f"/api/v1/widget/{public_key}"
    headers = {"origin": served.base, "x-visitor-id": VISITOR}
    with httpx.Client(base_url=served.base, timeout=30) as visitor:
        session = visitor.post(f"{widget}/sessions", headers=headers)
        assert session.status_code == 201, session.text
        session_id = session.json()["id"]
        assert (
            visitor.post(
                f"{widget}/sessions/{session_id}/messages", headers=headers, json={"content": "Returns?"}
            ).status_code
            == 200
        )
        asked = visitor.post(f"{widget}/sessions/{session_id}/handoff", headers=headers, json={"reason": "asked"})
        assert asked.status_code == 200, asked.text


async def nav(page: Page) -> list[str]:
    return [(await link.get_attribute("href")) or "" for link in await page.locator('nav[aria-label="Main"] a').all()]


async def test_the_owner_invites_a_support_member_who_answers_a_handoff_and_is_removed(
    browser: Browser, served: Served
) -> None:
    headers, workspace, public_key = await asyncio.to_thread(owner_with_agent, served)
    link = await async_wait_for_mail(served.outbox, MEMBER, "workspace_invitation")
    url = next(word for word in link.text.split() if "/invitations/accept?token=" in word)

    context = await browser.new_context()
    context.set_default_timeout(30_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The link, then sign-up from it (the form carries the invitation), then the e-mail's link.
    await page.goto(url)
    await page.locator("#sign-up-invited").click()
    await page.locator("#f-full_name").fill("Sam Support")
    await page.locator("#f-email").fill(MEMBER)
    await page.locator("#f-password").fill(PASSWORD)
    await page.locator("#f-adult").check()
    await page.locator("#f-policy").check()
    await page.locator("form button[type=submit]").click()
    verify = link_token(await async_wait_for_mail(served.outbox, MEMBER, "verify_email"))
    await page.goto(f"{served.base}/verify-email?token={verify}")
    await page.locator("button", has_text="Confirm my email").click()
    await page.wait_for_url(f"{served.base}/dashboard/agents")

    # Two workspaces: switch to the owner's; support sees the inbox, conversations and leads only.
    await page.locator("#workspace-switch").select_option(workspace)
    async with page.expect_navigation():
        await page.locator("form.switcher button[type=submit]").click()
    await page.goto(f"{served.base}/dashboard/inbox")
    assert await nav(page) == [
        "/dashboard/conversations",
        "/dashboard/inbox",
        "/dashboard/leads",
        "/dashboard/account",
    ]
    await shot(page, "support-inbox")

    # A visitor asks for a person; the support member takes it and answers.
    await asyncio.to_thread(visitor_asks_for_a_person, served, public_key)
    await page.locator("#inbox-list button", has_text="Waiting for a person").click()
    await page.locator("#thread-take").click()
    await page.locator("#thread-state", has_text="With you").wait_for()
    await page.locator("#thread-text").fill("Hi, Sam from support here.")
    await page.locator("#thread-reply button[type=submit]").click()
    await page.locator("#thread-log li.owner", has_text="Sam from support").wait_for()
    assert await page.locator("#thread-log li.owner button", has_text="Save as Q&A pair").count() == 0  # knowledge
    await shot(page, "support-answered")

    # The conversation as support reads it: the agent by its name (not its settings), the
    # assistant's answer without "Fix this answer" (that edits the knowledge).
    await page.goto(f"{served.base}/dashboard/conversations")
    async with page.expect_navigation():
        await page.locator('a[href^="/dashboard/conversations/"]').first.click()
    await page.locator("a", has_text="← Conversations of").wait_for()
    html = await page.content()
    assert "Sam from support" in html and "Visitor's vote" in html  # the reply, and an answer of the assistant's
    assert await page.locator("details.fix-answer").count() == 0

    # Removed: the next page is the member's own workspace, the owner's out of reach.
    async with httpx.AsyncClient(base_url=served.base, timeout=30, headers=headers) as owner_api:
        members = (await owner_api.get("/api/v1/workspace/members")).json()["data"]
        sam = next(m["account_id"] for m in members if m["email"] == MEMBER)
        assert (await owner_api.delete(f"/api/v1/workspace/members/{sam}")).status_code == 204
    await page.goto(f"{served.base}/dashboard/inbox")
    assert "/dashboard/billing" in await nav(page)  # their own workspace, as its owner
    assert await page.locator("#workspace-switch").count() == 0
    await page.locator("#inbox-empty").wait_for()
    assert errors == []
    await context.close()
