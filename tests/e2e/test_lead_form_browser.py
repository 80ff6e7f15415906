"""The widget's lead form in Chromium: the form an agent shows before the chat, submitted
empty, then with a bad e-mail address and phone number and no consent (each error said in
words beside its field, marked aria-invalid, nothing stored), then right (stored, thanked), and
the visitor's "My details" in the widget's menu shows what they left and deletes it. A second
agent's form comes only after an answer the assistant could not give (on_fallback: the answer's
status, not its lack of sources), and the lead is kept with that conversation. When "Talk to a
person" finds the office closed, the form is offered (or, without one, the visitor is told so
plainly); the form's and the handoff's own words follow the page's language."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.container import container_in_memory
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AnswerMode
from aioomi.domain.model.handoff import WEEK, HandoffSettingsChanges
from aioomi.domain.model.leads import FieldKind, LeadField, LeadForm
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.unit.chat_support import account, agent_for, store

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@dataclass
class Served:
    base: str
    container: Any
    loop: asyncio.AbstractEventLoop
    principal: Principal
    agent: Any
    fallback_agent: Any = None
    owner: Any = None

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-leads-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    container = container_in_memory(settings=Settings(data_dir=str(data_dir), log_format="console", public_url=base))
    app = create_app(container, run_worker=False, manage_lifecycle=True)
    with serve_in_thread(app, sock, name="aioomi-leads-app", log_config=None, access_log=False, lifespan="on") as loop:
        owner = account()
        agent = agent_for(owner, allowed_origins=[base])
        here = Served(
            base=base,
            container=container,
            loop=loop,
            principal=Principal.own(account_id=owner.id, session_id="s"),
            agent=agent,
            owner=owner,
        )
        here.run(store(container, owner, agent))
        here.run(
            container.update_lead_form()(
                here.principal,
                agent.id,
                LeadForm(
                    account_id="",
                    agent_id="",
                    enabled=True,
                    trigger="before_chat",  # type: ignore[arg-type]
                    intro="Leave your details for a quote.",
                    privacy_url="https://shop.example.com/privacy",
                    consent_text="I agree that Kettle Shop stores my details.",
                    fields=(
                        LeadField(key="name", kind=FieldKind.NAME, label="Name", required=True),
                        LeadField(key="email", kind=FieldKind.EMAIL, label="E-mail", required=True),
                        LeadField(key="phone", kind=FieldKind.PHONE, label="Phone"),
                    ),
                ),
            )
        )
        # a second agent whose form comes when the assistant has no answer (no documents: every answer)
        here.fallback_agent = agent_for(owner, name="Fallback", allowed_origins=[base])
        here.run(store_agent(container, owner.id, here.fallback_agent))
        here.run(
            container.update_lead_form()(
                here.principal,
                here.fallback_agent.id,
                LeadForm(
                    account_id="",
                    agent_id="",
                    enabled=True,
                    trigger="on_fallback",  # type: ignore[arg-type]
                    intro="We could not answer: leave your e-mail and we will get back to you.",
                    privacy_url="https://shop.example.com/privacy",
                    fields=(LeadField(key="email", kind=FieldKind.EMAIL, label="E-mail", required=True),),
                ),
            )
        )
        yield here
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def visit(served: Served) -> AsyncIterator[Any]:
    """Opens the host page with an agent's widget (by its public key) in a fresh browser."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        errors: list[str] = []

        async def open_page(key: str, lang: str = "en") -> Any:
            context = await browser.new_context()
            context.set_default_timeout(10_000)
            page = await context.new_page()
            host = (
                f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title></head><body>'
                f'<p>Kettles</p><script src="{served.base}/widget.js" data-agent-key="{key}" '
                f'data-open="true" async></script></body></html>'
            )

            async def host_page(route: Any) -> None:
                await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=host)

            await page.route(f"{served.base}/shop.html", host_page)
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{served.base}/shop.html")
            return page

        yield open_page
        assert errors == []
        await browser.close()


@pytest.fixture
async def page(served: Served, visit: Any) -> Any:
    return await visit(served.agent.public_key)


async def store_agent(container: Any, account_id: str, agent: Any) -> None:
    async with container.uow()(account_id=account_id) as uow:
        await uow.agents.add(agent)
        await uow.commit()


def w(selector: str) -> str:
    return f"aioomi-widget {selector}"


async def errors_by_field(page: Any) -> dict[str, str]:
    """Each invalid control's id → the words of the error it points to."""
    return await page.locator("aioomi-widget").evaluate("""host => Object.fromEntries(
        [...host.shadowRoot.querySelectorAll('.lead [aria-invalid="true"]')].map(n =>
            [n.id, host.shadowRoot.getElementById(n.getAttribute('aria-describedby')).textContent]))""")


async def test_required_fields_bad_email_and_phone_and_missing_consent_are_said_then_a_good_lead_is_kept(
    page: Any, served: Served
) -> None:
    form = page.locator(w("form.lead"))
    await form.wait_for()
    assert "Leave your details for a quote." in await form.inner_text()
    assert await page.locator(w("form.lead a")).get_attribute("href") == "https://shop.example.com/privacy"

    await page.locator(w("form.lead button[type=submit]")).click()
    await page.locator(w(".lead .err")).first.wait_for()
    said = await errors_by_field(page)
    assert set(said) == {"aioomi-lead-0", "aioomi-lead-1", "aioomi-lead-consent"}  # name, e-mail, consent
    assert "Name" in said["aioomi-lead-0"] and "tick the box" in said["aioomi-lead-consent"]

    await page.locator(w("#aioomi-lead-0")).fill("Ada Lovelace")
    await page.locator(w("#aioomi-lead-1")).fill("ada@")
    await page.locator(w("#aioomi-lead-2")).fill("12345")
    await page.locator(w("form.lead button[type=submit]")).click()
    await page.wait_for_function("""() => document.querySelector('aioomi-widget').shadowRoot
        .querySelectorAll('.lead [aria-invalid="true"]').length === 3""")
    said = await errors_by_field(page)
    assert set(said) == {"aioomi-lead-1", "aioomi-lead-2", "aioomi-lead-consent"}
    assert "e-mail address" in said["aioomi-lead-1"] and "country code" in said["aioomi-lead-2"]
    assert served.run(served.container.list_leads()(served.principal)) == []

    await page.locator(w("#aioomi-lead-1")).fill("ada@example.com")
    await page.locator(w("#aioomi-lead-2")).fill("+44 20 7946 0958")
    await page.locator(w("#aioomi-lead-consent")).check()
    await page.locator(w("form.lead button[type=submit]")).click()
    await page.locator(w(".msg.bot"), has_text="Thank you, your details were sent.").wait_for()
    [lead] = served.run(served.container.list_leads()(served.principal))
    assert lead.values == {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+442079460958"}

    await page.locator(w("header button[aria-haspopup=menu]")).click()
    await page.get_by_role("menuitem", name="My details", exact=True).click()
    details = page.locator(w("div.lead[role=region]"))
    await details.wait_for()
    assert "ada@example.com" in await details.inner_text()
    await page.locator(w("div.lead button"), has_text="Delete my details").click()
    await page.locator(w(".msg.bot"), has_text="Your details were deleted.").wait_for()
    assert served.run(served.container.list_leads()(served.principal)) == []


async def test_the_form_comes_after_an_answer_the_assistant_could_not_give(served: Served, visit: Any) -> None:
    page = await visit(served.fallback_agent.public_key)
    await page.locator(w("textarea")).wait_for(state="visible")
    assert await page.locator(w("form.lead")).count() == 0  # not before the chat
    await page.locator(w("textarea")).fill("Do you repair kettles?")
    await page.keyboard.press("Enter")
    form = page.locator(w("form.lead"))
    await form.wait_for()
    assert "We could not answer" in await form.inner_text()
    await page.locator(w("form.lead input[type=email]")).fill("ada@example.com")
    await page.locator(w("#aioomi-lead-consent")).check()
    await page.locator(w("form.lead button[type=submit]")).click()
    await page.locator(w(".msg.bot"), has_text="Thank you, your details were sent.").wait_for()
    leads = served.run(served.container.list_leads()(served.principal, agent_id=served.fallback_agent.id))
    assert [lead.values for lead in leads] == [{"email": "ada@example.com"}]
    assert leads[0].session_id is not None  # kept with the conversation


def add_agent(served: Served, name: str, form: LeadForm | None = None, **settings: Any) -> Any:
    agent = agent_for(served.owner, name=name, allowed_origins=[served.base], **settings)
    served.run(store_agent(served.container, served.owner.id, agent))
    if form is not None:
        served.run(served.container.update_lead_form()(served.principal, agent.id, form))
    return agent


def close_the_office(served: Served, agent: Any) -> None:
    """Handoff on, open only on the day after tomorrow (so closed now, whatever the hour)."""
    later = WEEK[(datetime.now(UTC).weekday() + 2) % 7]
    served.run(
        served.container.update_handoff_settings()(
            served.principal, agent.id, HandoffSettingsChanges(enabled=True, days=(later,))
        )
    )


def email_form(trigger: str, intro: str) -> LeadForm:
    return LeadForm(
        account_id="",
        agent_id="",
        enabled=True,
        trigger=trigger,  # type: ignore[arg-type]
        intro=intro,
        privacy_url="https://shop.example.com/privacy",
        fields=(LeadField(key="email", kind=FieldKind.EMAIL, label="E-mail", required=True),),
    )


async def test_when_no_one_is_available_the_lead_form_is_offered(served: Served, visit: Any) -> None:
    agent = add_agent(served, "Closed", email_form("on_request", "No one is here: leave your e-mail."))
    close_the_office(served, agent)
    page = await visit(agent.public_key)
    person = page.locator(w(".handoff button"), has_text="Talk to a person")
    await person.wait_for()
    assert await page.locator(w("form.lead")).count() == 0  # on request only
    await person.click()
    await page.locator(w(".note"), has_text="No one is available right now").wait_for()
    form = page.locator(w("form.lead"))
    await form.wait_for()
    assert "No one is here: leave your e-mail." in await form.inner_text()
    assert await page.locator(w("form.lead input[type=email]")).evaluate(
        "n => n.getRootNode().activeElement === n"
    )  # the visitor asked: the form has the focus
    assert await page.locator(w(".note"), has_text="There is no form").count() == 0
    await page.locator(w("form.lead input[type=email]")).fill("ada@example.com")
    await page.locator(w("#aioomi-lead-consent")).check()
    await page.locator(w("form.lead button[type=submit]")).click()
    await page.locator(w(".msg.bot"), has_text="Thank you, your details were sent.").wait_for()
    leads = served.run(served.container.list_leads()(served.principal, agent_id=agent.id))
    assert [lead.values for lead in leads] == [{"email": "ada@example.com"}]


async def test_without_a_lead_form_the_visitor_is_told_plainly_in_the_pages_language(
    served: Served, visit: Any
) -> None:
    agent = add_agent(served, "Closed, no form")
    close_the_office(served, agent)
    page = await visit(agent.public_key, "fr")
    person = page.locator(w(".handoff button"), has_text="Parler à une personne")
    await person.wait_for()
    await person.click()
    await page.locator(w(".note"), has_text="Il n'y a pas de formulaire ici pour laisser vos coordonnées.").wait_for()
    assert await page.locator(w("form.lead")).count() == 0


async def test_an_answer_without_sources_that_is_not_the_fallback_brings_no_form(served: Served, visit: Any) -> None:
    # assisted mode: with no documents the assistant still answers (status complete, no sources)
    agent = add_agent(
        served,
        "Assisted",
        email_form("on_fallback", "We could not answer: leave your e-mail."),
        answer_mode=AnswerMode.ASSISTED,
    )
    page = await visit(agent.public_key, "de")
    await page.locator(w("textarea")).wait_for(state="visible")
    await page.locator(w("textarea")).fill("Do you repair kettles?")
    await page.keyboard.press("Enter")
    await page.wait_for_function(
        """() => document.querySelector('aioomi-widget').shadowRoot
        .querySelector('.sr[role=status]').textContent === 'Antwort erhalten.'"""
    )
    assert await page.locator(w(".msg.bot .sources")).count() == 0  # no sources: the old rule would show it
    assert await page.locator(w("form.lead")).count() == 0
    # the form's own words in the page's language
    await page.locator(w("header button[aria-haspopup=menu]")).click()
    await page.get_by_role("menuitem", name="Meine Kontaktdaten hinterlassen", exact=True).click()
    await page.locator(w("form.lead button[type=submit]"), has_text="Kontaktdaten senden").wait_for()


async def test_a_wait_that_ran_out_offers_the_form_without_taking_the_focus(served: Served, visit: Any) -> None:
    # the event handoff.js dispatches when no one took the conversation in time, sent here as it is
    agent = add_agent(served, "Expired", email_form("on_request", "No one came: leave your e-mail."))
    page = await visit(agent.public_key)
    await page.locator(w("textarea")).wait_for(state="visible")
    await page.locator(w("[role=menuitem]"), has_text="Leave my details").wait_for(state="attached")  # leads.js set up
    await page.locator(w("textarea")).focus()
    handled = await page.locator("aioomi-widget").evaluate(
        """host => !host.dispatchEvent(new CustomEvent('aioomi:handoff-unavailable',
            {cancelable: true, detail: {reason: 'expired', message: 'Sorry, no one was available.'}}))"""
    )
    assert handled  # cancelled: handoff.js does not add "there is no form"
    await page.locator(w("form.lead")).wait_for()
    assert await page.locator(w("textarea")).evaluate("n => n.getRootNode().activeElement === n")
    # a second time: the unsent form is brought forward, not drawn twice
    await page.locator("aioomi-widget").evaluate(
        """host => host.dispatchEvent(new CustomEvent('aioomi:handoff-unavailable',
            {cancelable: true, detail: {reason: 'expired', message: ''}}))"""
    )
    assert await page.locator(w("form.lead")).count() == 1
