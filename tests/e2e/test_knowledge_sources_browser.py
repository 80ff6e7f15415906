"""The knowledge page's sources in a real browser (Debian's Chromium via Playwright), against the
app served on loopback with the worker in the server process and the crawl test website
(testkit/website.py) allowed on loopback for this test only: an owner adds a website source
and watches its crawl's progress update in place (no reload) from queued or running to
succeeded, with the counts the runs API reports and the failures with their reasons; the cancel
button shows only while the run is active; a Q&A pair is added, edited and listed. A crawl that
reaches the plan's documents (the Free plan here allows 20) shows, in place as well, how many
pages it left at the plan's limit and why it stopped."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from testkit.serving import loopback_socket, serve_in_thread
from testkit.website import Website, served_website

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.container import container_in_memory
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import wait_for_mail
from tests.support.axe import install_axe, serious_violations
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.unit.knowledge_support import use_test_embedders

EMAIL = "ada@example.com"
PASSWORD = "a long and unusual passphrase"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "knowledge-sources"
COUNTS = ("discovered", "fetched", "unchanged", "updated", "failed", "skipped")
# The first crawl stores about 15 documents (the home page, about, 10 sections and 2 pages) and
# a Q&A pair: within the plan. The second, two links deep (300 pages), reaches it.
PLAN_DOCUMENTS = 20
PLANS = [{"id": "free", "name": "Free", "max_documents": PLAN_DOCUMENTS}]

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def website() -> Iterator[Website]:
    with served_website() as site:
        yield site


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Settings]]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-knowledge-sources-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # The slow page (8 s) fails after the 3 s fetch timeout: the crawl stays running long
    # enough for the page to show it live.
    settings = Settings(
        data_dir=str(data_dir),
        log_format="console",
        public_url=base,
        worker_poll_s=0.2,
        demo="off",
        url_fetch_allowed_networks="127.0.0.1/32",
        url_fetch_timeout_s=3.0,
        document_max_bytes=100_000,
        billing_plans=json.dumps(PLANS),
    )
    container = container_in_memory(settings=settings)
    use_test_embedders(container)
    container.password_hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost_kib=8, parallelism=1))
    )
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(
        app,
        sock,
        name="aioomi-knowledge-sources",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ):
        yield base, settings
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def page(served: tuple[str, Settings]) -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
        await browser.close()


async def sign_up_with_an_agent(page: Any, base: str, settings: Settings, email: str) -> str:
    """Signs up (confirming the e-mail), creates an agent, opens its knowledge page: the agent's id."""
    await page.goto(f"{base}/sign-up")
    await page.get_by_label("Full name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("I am 18 or older").check()
    await page.get_by_label(re.compile("I accept the privacy policy")).check()
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("heading", name="Check your e-mail").wait_for()
    mail = wait_for_mail(settings.outbox_dir, email, "verify_email")  # the worker thread mails it
    [link] = re.findall(r"https?://\S+", mail.text)
    await page.goto(link)
    await page.get_by_role("button", name="Confirm my email").click()
    await page.wait_for_url(f"{base}/dashboard/agents")
    await page.get_by_label("Name").fill("Kettle helper")
    await page.get_by_role("button", name="Create agent").click()
    await page.wait_for_url(re.compile(rf"{re.escape(base)}/dashboard/agents/agt_\w+$"))
    agent_id = page.url.rsplit("/", 1)[1]
    await page.get_by_role("link", name="Knowledge base").click()
    await page.wait_for_url(f"{base}/dashboard/agents/{agent_id}/knowledge")
    return agent_id


async def test_an_owner_watches_a_crawl_progress_live_and_manages_qa_pairs(
    served: tuple[str, Settings], page: Any, website: Website
) -> None:
    base, settings = served
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    agent_id = await sign_up_with_an_agent(page, base, settings, EMAIL)

    # Add a website source: the home page and the pages it links to (depth 1).
    await page.get_by_text("Add a website or sitemap").click()
    await page.get_by_label("Kind").select_option("website")
    await page.get_by_label("Start page or sitemap address (https://…)").fill(f"{website.base}/")
    await page.get_by_label(re.compile("Links to follow")).fill("1")
    loads: list[str] = []
    async with page.expect_navigation():  # the page reloads once with the new source
        await page.get_by_role("button", name="Add and crawl").click()
    page.on("load", lambda _: loads.append(page.url))  # from here on, the page must not reload
    row = page.locator("tr[data-source]")
    await row.wait_for()
    cancel = row.locator("[data-cancel]")

    # The run is seen running, updated in place, with the cancel button offered meanwhile.
    await page.wait_for_function(
        "() => document.querySelector('[data-run-status]').textContent === 'running'"
        " && Number(document.querySelector('[data-count=\"fetched\"]').textContent) > 0"
    )
    assert await cancel.is_visible() and not await row.locator("[data-sync]").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "01-running.png"), full_page=True)
    await page.wait_for_function("() => document.querySelector('[data-run-status]').textContent === 'succeeded'")
    await page.screenshot(path=str(ARTIFACTS / "02-succeeded.png"), full_page=True)
    assert loads == [], "the progress updated without reloading the page"
    assert not await cancel.is_visible() and await row.locator("[data-sync]").is_visible()
    # within the plan: no page left at its limit, no error
    assert not await row.locator("[data-run-plan-limited]").is_visible()
    assert not await row.locator("[data-run-error]").is_visible()

    # The counts shown are the run's, as the runs API gives them.
    source_id = await row.get_attribute("data-source")
    runs = await page.evaluate(f"fetch('/api/v1/agents/{agent_id}/sources/{source_id}/runs').then(r => r.json())")
    [run] = runs["data"]
    shown = {c: int(await row.locator(f'[data-count="{c}"]').inner_text()) for c in COUNTS}
    assert shown == {c: run["counts"][c] for c in COUNTS}
    # the home page links the 10 sections and about: fetched and new; robots.txt refuses
    # /private/secret, /slow times out, /files/price-list.bin is not a document, /big is too large
    assert shown["updated"] >= 11 and shown["unchanged"] == 0
    failures = await page.locator(f'[data-failures-of="{source_id}"] li').all_text_contents()
    assert any(f.startswith(f"{website.base}/private/secret: robots") for f in failures), failures
    assert any(f.startswith(f"{website.base}/slow: fetch") for f in failures), failures
    assert any(f.startswith(f"{website.base}/files/price-list.bin: type") for f in failures), failures
    assert shown["failed"] == len(failures) == len(run["failures"])

    # Q&A pairs: add one, edit it, see it listed (the page reloads after each change).
    await page.get_by_text("Add a pair", exact=True).click()
    await page.locator("#f-qa-question").fill("How do I descale the kettle?")
    await page.locator("#f-qa-answer").fill("Soak it in citric acid once a month.")
    await page.locator("#f-qa-alternatives").fill("Limescale in my kettle")
    await page.get_by_role("button", name="Add pair").click()
    pair = page.locator("details.qa-pair")
    await pair.wait_for()
    assert await pair.locator("summary").inner_text() == "How do I descale the kettle?"
    await pair.locator("summary").click()
    await pair.get_by_label("Answer").fill("Use vinegar every two weeks.")
    async with page.expect_navigation():
        await pair.get_by_role("button", name="Save pair").click()
    pairs = await page.evaluate(f"fetch('/api/v1/agents/{agent_id}/qa-pairs').then(r => r.json())")
    assert [(p["question"], p["answer"], p["alternatives"]) for p in pairs["data"]] == [
        ("How do I descale the kettle?", "Use vinegar every two weeks.", ["Limescale in my kettle"])
    ]
    assert errors == []


async def test_a_crawl_stopped_by_the_plan_shows_the_pages_left_and_why_live(
    served: tuple[str, Settings], page: Any, website: Website
) -> None:
    base, settings = served
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    agent_id = await sign_up_with_an_agent(page, base, settings, "grace@example.com")
    await page.get_by_text("Add a website or sitemap").click()
    await page.get_by_label("Kind").select_option("website")
    await page.get_by_label("Start page or sitemap address (https://…)").fill(f"{website.base}/")
    await page.get_by_label(re.compile("Links to follow")).fill("2")
    async with page.expect_navigation() as navigation:  # the page reloads once with the new source
        await page.get_by_role("button", name="Add and crawl").click()
    loaded = await (await navigation.value).text()
    await page.wait_for_load_state("load")  # that reload's own load event is not one to count
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    # the page came while the run was queued or running (the slow page holds it 3 s), before it
    # stopped: what it shows at the end, the poller put there
    assert 'data-active="yes"' in loaded and "Stopped taking new pages" not in loaded
    row = page.locator("tr[data-source]")
    await page.wait_for_function("() => document.querySelector('[data-run-status]').textContent === 'succeeded'")
    assert loads == [], "the run ended without reloading the page"
    source_id = await row.get_attribute("data-source")
    runs = await page.evaluate(f"fetch('/api/v1/agents/{agent_id}/sources/{source_id}/runs').then(r => r.json())")
    [run] = runs["data"]
    documents = await page.evaluate(f"fetch('/api/v1/agents/{agent_id}/documents?limit=100').then(r => r.json())")
    assert len(documents["data"]) == PLAN_DOCUMENTS
    # 300 pages two links deep, 20 taken: at least 250 left at the limit
    assert run["counts"]["plan_limited"] > 250, run["counts"]
    left = f"{run['counts']['plan_limited']:,} pages left at the plan's limit"
    limited = row.locator("[data-run-plan-limited]")
    assert await limited.is_visible()
    assert await limited.inner_text() == left
    error = row.locator("[data-run-error]")
    assert await error.is_visible()
    assert (await error.inner_text()).startswith(
        f"Stopped taking new pages at the plan's limit: The Free plan allows {PLAN_DOCUMENTS} document"
    )
    assert await error.inner_text() == run["error"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "03-plan-limited.png"), full_page=True)
    # reloaded, the template shows the same, with no serious axe violation (the notes' contrast)
    await install_axe(page)
    await page.reload()
    assert await limited.inner_text() == left
    assert await error.inner_text() == run["error"]
    assert await serious_violations(page) == []
    assert errors == []
