"""The improvement loop's pages in a real browser (Debian's Chromium via Playwright, axe-core),
against the app served on loopback with the worker in the server process and offline models: a
visitor's answer gets a thumbs-down through the widget API, the owner refreshes the questions to
fix, writes the answer on the page, and a new visitor asking a paraphrase gets the owner's answer
as it is, with no model call (the conversation API says so). The knowledge page's curated-answer
form switches the agent to serving pairs directly. Then the owner writes a test question citing
the pair on the test-questions page and presses "Run tests": it passes; the owner deletes the pair,
the tests run by themselves a minute later: it fails, newly, and the owner gets the e-mail (read
from the outbox the e-mail adapter writes); the owner edits the question, then deletes it. The
pages have no serious axe violation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioomi.settings import Settings
from tests.e2e.test_knowledge_sources_browser import served as _served_fixture  # noqa: F401  # the served app
from tests.e2e.test_knowledge_sources_browser import sign_up_with_an_agent
from tests.integration.accounts_support import async_wait_for_mail
from tests.support.axe import install_axe, serious_violations
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ORIGIN = "https://shop.example.com"
QUESTION = "Do you deliver kettles to Norway?"
PARAPHRASE = "Do you ship kettles to Norway?"
FIXED = "Yes: we ship kettles to Norway in 3 to 5 working days, with tracking."
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "loop-pages"

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@pytest.fixture
def served(_served_fixture: tuple[str, Settings]) -> Iterator[tuple[str, Settings]]:
    yield _served_fixture


@pytest.fixture
async def page(served: tuple[str, Settings]) -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        yield page
        await browser.close()


async def ask(client: httpx.AsyncClient, key: str, visitor: str, question: str) -> tuple[str, str]:
    """A new widget conversation with one question: its session id and the answer's id."""
    headers = {"origin": ORIGIN, "x-visitor-id": visitor}
    session = await client.post(f"/api/v1/widget/{key}/sessions", headers=headers)
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    response = await client.post(
        f"/api/v1/widget/{key}/sessions/{session_id}/messages", headers=headers, json={"content": question}
    )
    assert response.status_code == 200, response.text
    done = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")][-1]
    return session_id, done["message_id"]


async def api(page: Any, method: str, path: str, body: Any = None) -> Any:
    """The API as the signed-in owner, from the page (its cookie and CSRF token)."""
    script = """async ([method, path, body]) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch(path, {method, headers: {'content-type': 'application/json', 'x-csrf-token': csrf},
                                   body: body === null ? undefined : JSON.stringify(body)});
      return {status: r.status, body: await r.json().catch(() => null)};
    }"""
    return await page.evaluate(script, [method, path, body])


async def test_a_disliked_answer_is_fixed_on_the_questions_page_and_served_to_a_paraphrase(
    served: tuple[str, Settings], page: Any
) -> None:
    base, settings = served
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    await install_axe(page)
    agent_id = await sign_up_with_an_agent(page, base, settings, "loop@example.com")
    changed = await api(page, "PATCH", f"/api/v1/agents/{agent_id}", {"allowed_origins": [ORIGIN]})
    assert changed["status"] == 200, changed
    key = changed["body"]["public_key"]

    # The knowledge page's form: serve matching pairs directly, from 0.7.
    await page.get_by_label("Serve its answer as it is (no model call)").check()
    await page.get_by_label("Threshold (0 to 1)").fill("0.7")
    await page.get_by_role("button", name="Save curated-answer setting").click()
    await page.locator("#curated .form-status.ok").wait_for()
    setting = await api(page, "GET", f"/api/v1/agents/{agent_id}/curated-answers")
    assert setting["body"] == {"mode": "direct", "threshold": 0.7}
    assert await serious_violations(page) == []

    async with httpx.AsyncClient(base_url=base, timeout=30) as visitor:
        # A visitor asks and gives the answer a thumbs-down through the widget API.
        session_id, answer_id = await ask(visitor, key, "visitor-one-0000000001", QUESTION)
        voted = await visitor.post(
            f"/api/v1/widget/{key}/sessions/{session_id}/messages/{answer_id}/feedback",
            headers={"origin": ORIGIN, "x-visitor-id": "visitor-one-0000000001"},
            json={"rating": "down", "comment": "I need to know about Norway."},
        )
        assert voted.status_code == 200, voted.text

        # The owner opens the questions to fix, refreshes, and sees the group once the worker ran.
        await page.get_by_role("link", name="Questions to fix").click()
        await page.wait_for_url(f"{base}/dashboard/agents/{agent_id}/questions")
        await page.get_by_role("button", name="Refresh now").click()
        await page.get_by_text("Regrouping in the worker").wait_for()
        group = page.locator("section.question-group")
        for _ in range(60):  # the worker polls every 0.2 s
            await page.reload()
            if await group.count():
                break
            await asyncio.sleep(0.5)
        assert await group.count() == 1
        assert await group.get_by_role("heading", level=2).inner_text() == QUESTION
        assert "thumbs down" in await group.inner_text()
        assert await serious_violations(page) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "01-questions.png"), full_page=True)

        # The owner writes the answer: a curated pair with the group's phrasings.
        await group.get_by_label("The answer").fill(FIXED)
        async with page.expect_navigation():
            await group.get_by_role("button", name="Write the answer").click()
        assert await page.locator("section.question-group").count() == 0, "the answered group left the open list"
        pairs = (await api(page, "GET", f"/api/v1/agents/{agent_id}/qa-pairs"))["body"]["data"]
        assert [(p["question"], p["answer"]) for p in pairs] == [(QUESTION, FIXED)]

        # A new visitor asks a paraphrase: the owner's answer, as it is, with no model call
        # (once the worker has indexed the pair).
        for _ in range(60):
            later, _ = await ask(visitor, key, "visitor-two-0000000002", PARAPHRASE)
            detail = await api(page, "GET", f"/api/v1/chat-sessions/{later}")
            served_answer = detail["body"]["messages"][1]
            if served_answer["curated_pair_id"]:
                break
            await asyncio.sleep(0.5)
        assert (served_answer["content"], served_answer["curated_pair_id"]) == (FIXED, pairs[0]["id"])
        assert (served_answer["model"], served_answer["prompt_tokens"], served_answer["completion_tokens"]) == (
            None,
            0,
            0,
        ), "no model call"

    # The owner's conversation page shows the vote and the fix form; axe finds nothing serious.
    await page.goto(f"{base}/dashboard/conversations/{session_id}")
    assert "thumbs down" in await page.locator("article.msg.assistant").inner_text()
    await page.get_by_text("Fix this answer").click()
    assert await page.get_by_label("The right answer").is_visible()
    assert await serious_violations(page) == []
    await page.goto(f"{base}/dashboard/conversations?agent_id={agent_id}&feedback=down")
    assert await page.locator("table.list tbody tr").count() == 1
    assert await serious_violations(page) == []

    # The owner writes a test question for the fixed answer on the test-questions page: the
    # answer must cite the pair (a pair's id is its document's).
    pair_id = pairs[0]["id"]
    await page.goto(f"{base}/dashboard/agents/{agent_id}")
    await page.get_by_role("link", name="Test questions").click()
    await page.wait_for_url(f"{base}/dashboard/agents/{agent_id}/tests")
    add = page.locator("#add-test-question")
    await add.get_by_label("Question", exact=True).fill(PARAPHRASE)
    await add.get_by_label("Expectation").select_option("cites")
    assert await add.get_by_label("Facts (one a line)").is_hidden(), "only the chosen expectation's fields"
    await add.get_by_label("Document").select_option(pair_id)
    async with page.expect_navigation():
        await add.get_by_role("button", name="Add test question").click()
    [question] = (await api(page, "GET", f"/api/v1/agents/{agent_id}/test-questions"))["body"]["data"]
    assert (question["question"], question["kind"], question["document_id"]) == (PARAPHRASE, "cites", pair_id)
    row = page.locator(f"#tq-{question['id']}")
    assert await row.locator("[data-outcome]").inner_text() == "not run yet"
    assert await serious_violations(page) == []

    # "Run tests": the page follows the run in the worker and shows the result: it passes.
    async with page.expect_navigation(timeout=60_000):  # the page reloads once the run is stored
        await page.get_by_role("button", name="Run tests").click()
    assert await row.locator("[data-outcome]").inner_text() == "passed"
    assert "Run tests" in await page.locator("#test-runs tbody tr").first.inner_text()
    await page.screenshot(path=str(ARTIFACTS / "02-tests-passing.png"), full_page=True)

    # The owner deletes the pair on the knowledge page ...
    await page.get_by_role("link", name="Knowledge base").click()
    await page.locator(f"details.qa-pair[data-pair='{pair_id}'] summary").click()
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Delete pair").click()
    assert (await api(page, "GET", f"/api/v1/agents/{agent_id}/qa-pairs"))["body"]["data"] == []

    # ... and the tests run by themselves (a minute after the knowledge changed): it fails now,
    # newly, and the owner gets the e-mail.
    await page.goto(f"{base}/dashboard/agents/{agent_id}/tests")
    for _ in range(120):
        if await row.locator("[data-outcome]").inner_text() == "failed":
            break
        await asyncio.sleep(1)
        await page.reload()
    assert await row.locator("[data-outcome]").inner_text() == "failed"
    assert await row.locator("[data-change]").inner_text() == "newly failing"
    assert "knowledge changed" in await page.locator("#test-runs tbody tr").first.inner_text()
    assert await serious_violations(page) == []
    await page.screenshot(path=str(ARTIFACTS / "03-tests-failing.png"), full_page=True)
    mail = await async_wait_for_mail(settings.outbox_dir, "loop@example.com", "test_questions_failing")
    assert mail.subject == "Kettle helper: 1 test question stopped passing"
    assert PARAPHRASE in mail.text

    # The owner edits the question into a fallback check, then deletes it.
    await row.get_by_text("Edit").click()
    edit = row.locator("form")
    await edit.get_by_label("Expectation").select_option("falls_back")
    assert await edit.get_by_label("Document").is_hidden()
    async with page.expect_navigation():
        await edit.get_by_role("button", name="Save").click()
    [edited] = (await api(page, "GET", f"/api/v1/agents/{agent_id}/test-questions"))["body"]["data"]
    assert (edited["id"], edited["kind"], edited["document_id"]) == (question["id"], "falls_back", None)
    assert "Falls back" in await row.inner_text()
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    async with page.expect_navigation():
        await row.get_by_role("button", name="Delete").click()
    assert await page.get_by_text("No test questions yet").is_visible()
    assert (await api(page, "GET", f"/api/v1/agents/{agent_id}/test-questions"))["body"]["data"] == []
    assert await page.locator("#test-runs tbody tr").count() == 2, "the runs stay"
    assert errors == []
