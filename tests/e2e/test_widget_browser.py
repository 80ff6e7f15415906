"""The widget in a real browser: Debian's Chromium driven by Playwright, against the app served by
uvicorn on 127.0.0.1 on PostgreSQL, the demo seeded at startup through the real documents
pipeline (worker in the process), answers from the fake OpenAI server. Screenshots go to
test-artifacts/widget/."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from dependency_injector import providers
from testkit.postgres import TestPostgres
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.adapters.openai.chat_model import OpenAIChatModel
from aioomi.container import container_on_postgres
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentChanges, AgentStatus, WidgetChanges, WidgetTheme
from aioomi.domain.model.documents import DocumentStatus
from aioomi.domain.model.errors import NotFound
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.fakes.openai_fixtures import ServedFakeOpenAI, _served_fake_openai  # noqa: F401 - fixtures
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "widget"
VISITOR_KEY = "aioomi_visitor_id"

try:
    from playwright.async_api import Browser, BrowserContext, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


@dataclass
class Served:
    base: str
    container: Any
    loop: asyncio.AbstractEventLoop
    fake: ServedFakeOpenAI
    demo: Any = None

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop (where the container's pool lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    @property
    def principal(self) -> Principal:
        return Principal.own(account_id=self.demo.account_id)


@pytest.fixture(scope="module")
async def browser_db(test_postgres: TestPostgres) -> AsyncIterator[str]:
    conninfo = await test_postgres.create_database()
    yield conninfo
    test_postgres.drop_database(conninfo)


@pytest.fixture(scope="module")
def served(browser_db: str, _served_fake_openai: ServedFakeOpenAI) -> Iterator[Served]:
    require_browser(async_playwright is not None)
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-widget-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(data_dir=str(data_dir), log_format="console", public_url=base, worker_poll_s=0.2)
    container = container_on_postgres(settings=settings, conninfo=browser_db)
    container.chat_model.override(
        providers.Object(OpenAIChatModel(api_key="sk-test", base_url=_served_fake_openai.base_url, backoff_s=0.05))
    )
    app = create_app(container, run_worker=True, manage_lifecycle=True, demo_origins=[base])
    with serve_in_thread(
        app,
        sock,
        name="aioomi-browser-app",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ) as loop:
        here = Served(base=base, container=container, loop=loop, fake=_served_fake_openai, demo=app.state.demo)
        assert here.demo is not None, "the demo was seeded at startup"
        # The demo's documents go through the worker: wait until every one is ready.
        deadline = time.monotonic() + 60
        while True:
            page = here.run(container.list_documents()(here.principal, here.demo.agent_id, limit=100))
            statuses = {d.title: d.status for d in page.items}
            assert DocumentStatus.FAILED not in statuses.values(), statuses
            if statuses and all(s is DocumentStatus.READY for s in statuses.values()):
                break
            assert time.monotonic() < deadline, f"demo documents not ready: {statuses}"
            time.sleep(0.2)
        assert "README.md" in statuses and any(t.startswith("docs/") for t in statuses)
        yield here
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser(served: Served) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class Visit:
    """A fresh browser profile (empty localStorage) on one page, recording every request."""

    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self, base: str) -> list[str]:
        own = urlsplit(base).netloc
        return [u for u in self.requests if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != own]


async def visit(browser: Browser, served: Served, **context_options: Any) -> Visit:
    context = await browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    v = Visit(context=context, page=page)
    page.on("request", lambda request: v.requests.append(request.url))
    page.on("pageerror", lambda error: v.requests.append(f"pageerror:{error}"))
    return v


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def w(selector: str) -> str:
    """A selector inside the widget's shadow root (Playwright's CSS pierces open shadow roots)."""
    return f"aioomi-widget {selector}"


async def open_widget(page: Page) -> None:
    await page.locator(w(".launcher")).click()
    await page.locator(w("textarea")).wait_for(state="visible")


async def ask(page: Page, question: str) -> None:
    await page.locator(w("textarea")).fill(question)
    await page.keyboard.press("Enter")


async def local_storage(page: Page) -> dict[str, str]:
    return await page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")


STREAMED = "To run Aioomi type **make run** and open the demo page [1]. It needs no configuration at all."


async def test_demo_page_streams_an_answer_with_citations_restores_it_and_deletes_it(
    browser: Browser, served: Served
) -> None:
    served.fake.fake.script_chat(reply=STREAMED, token_delay_s=0.12)
    v = await visit(browser, served)
    page = v.page
    response = await page.goto(f"{served.base}/demo")  # `/` is the dashboard
    assert response is not None and response.ok and page.url == f"{served.base}/demo"
    assert "default-src 'self'" in response.headers["content-security-policy"], "the widget works under a strict CSP"
    await page.locator(w(".launcher")).wait_for()
    assert await local_storage(page) == {}, "nothing is stored before the visitor writes"
    await shot(page, "demo-closed")

    await open_widget(page)
    assert await page.locator(w(".launcher")).get_attribute("aria-expanded") == "true"
    assert (
        await page.evaluate("() => document.querySelector('aioomi-widget').shadowRoot.activeElement?.tagName")
        == "TEXTAREA"
    )
    log = page.locator(w(".log"))
    assert "README and documentation" in await log.inner_text()  # the greeting
    assert await page.locator(w(".starters button")).count() == 3

    await ask(page, "How do I run Aioomi?")
    answer = page.locator(w(".msg.bot")).last
    await page.locator(w(".msg.bot .md strong")).last.wait_for()
    partial = await answer.inner_text()
    assert "make run" in partial and "configuration at all" not in partial, f"streamed token by token: {partial!r}"
    await page.locator(w(".msg.bot .sources li")).first.wait_for()
    final = await answer.inner_text()
    assert "It needs no configuration at all." in final and "**" not in final
    sources = await page.locator(w(".msg.bot .sources li > :first-child")).all_inner_texts()
    titles = [s.split("] ", 1)[1] for s in sources]
    assert sources and all(s.startswith("[") for s in sources), sources
    assert all(t == "README.md" or t.startswith("docs/") for t in titles), sources
    assert len(set(titles)) == len(titles) <= 3, "one source per document, three at most"
    assert await page.locator(w(".msg.bot .actions button")).first.inner_text() == "Copy"
    assert await log.get_attribute("aria-live") == "polite" and await log.get_attribute("aria-busy") is None
    stored = await local_storage(page)
    assert list(stored) == [VISITOR_KEY], f"only the visitor id is stored: {stored}"
    visitor = stored[VISITOR_KEY]
    assert await page.evaluate("() => document.cookie") == ""
    assert await page.evaluate("() => sessionStorage.length") == 0
    await shot(page, "demo-answer")

    # A reload restores the conversation from the server.
    await page.reload()
    await open_widget(page)
    await page.locator(w(".msg.user")).wait_for()
    assert await page.locator(w(".msg.user")).inner_text() == "How do I run Aioomi?"
    restored = page.locator(w(".msg.bot")).last
    assert "It needs no configuration at all." in await restored.inner_text()
    assert await restored.locator(".sources li").count() == len(sources)
    assert await local_storage(page) == {VISITOR_KEY: visitor}

    agent = served.run(served.container.get_agent()(served.principal, served.demo.agent_id))
    sessions = served.run(served.container.list_visitor_sessions()(agent, visitor))
    assert len(sessions) == 1
    session_id = sessions[0].id

    # Your data: download the conversation as JSON.
    await page.locator(w("button[aria-haspopup=menu]")).click()
    async with page.expect_download() as download_info:
        await page.locator(w("[role=menuitem]"), has_text="Download").click()
    download = await download_info.value
    exported = json.loads(Path(await download.path()).read_text())
    assert exported["sessions"][0]["session"]["id"] == session_id
    assert [m["role"] for m in exported["sessions"][0]["messages"]] == ["user", "assistant"]

    # ... and delete it, confirmed, for good on the server.
    await page.locator(w("button[aria-haspopup=menu]")).click()
    await page.locator(w("[role=menuitem]"), has_text="Delete").click()
    await page.locator(w(".confirm")).wait_for(state="visible")
    assert served.run(served.container.list_visitor_sessions()(agent, visitor)), "nothing is deleted before confirming"
    await page.locator(w(".confirm .danger")).click()
    await page.locator(w(".note"), has_text="deleted").wait_for()
    assert await page.locator(w(".msg.user")).count() == 0
    assert served.run(served.container.list_visitor_sessions()(agent, visitor)) == []
    with pytest.raises(NotFound):
        served.run(served.container.get_chat_session()(served.principal, session_id))
    await page.reload()
    await open_widget(page)
    await page.wait_for_timeout(300)
    assert await page.locator(w(".msg.user")).count() == 0, "a reload finds nothing to restore"

    assert v.foreign_requests(served.base) == [], "no request leaves for another host"
    assert not [r for r in v.requests if r.startswith("pageerror:")], v.requests
    await v.context.close()


HOSTILE_PAGE = """<!doctype html><html><head><style>
* { color: #ff00ff !important; font-family: "Comic Sans MS", cursive !important; font-size: 31px !important;
    line-height: 3 !important; letter-spacing: 4px !important; text-transform: uppercase !important;
    box-sizing: content-box !important; margin: 7px !important; }
div, section, header, form, button, textarea, p { display: inline !important; position: static !important;
    background: yellow !important; border: 5px dashed red !important; padding: 13px !important;
    width: 13px !important; height: 13px !important; opacity: 0.5 !important; }
aioomi-widget { display: none !important; }
button { all: unset !important; }
:root { --primary: #00ff00; --bg: black; --text: red; }
body { zoom: 1; }
</style></head><body>
<p id="host-p">Host paragraph</p><button id="host-button">Host button</button>
SNIPPET
</body></html>"""

PROBED = {
    ".launcher": [
        "color",
        "background-color",
        "font-size",
        "font-family",
        "border-top-style",
        "position",
        "width",
        "height",
    ],
    ".panel": ["display", "position", "width", "height", "background-color", "border-top-style"],
    "header h2": ["color", "font-size", "font-family", "letter-spacing", "text-transform", "margin-top"],
    "textarea": ["font-size", "background-color", "padding-top", "border-top-style", "display"],
}


async def computed(page: Page, selector: str, props: list[str]) -> dict[str, str]:
    return await page.evaluate(
        """([sel, props]) => { const root = document.querySelector('aioomi-widget').shadowRoot;
             const s = getComputedStyle(root.querySelector(sel)); return Object.fromEntries(props.map(p => [p, s.getPropertyValue(p)])); }""",
        [selector, props],
    )


async def host_styles(page: Page) -> dict[str, Any]:
    return await page.evaluate("""() => Object.fromEntries(['#host-p', '#host-button', 'body'].map(sel => {
        const s = getComputedStyle(document.querySelector(sel));
        return [sel, [s.color, s.backgroundColor, s.fontSize, s.fontFamily, s.display, s.margin, s.padding, s.borderTopStyle, s.lineHeight]];
    }))""")


async def test_hostile_host_css_does_not_leak_in_and_widget_css_does_not_leak_out(
    browser: Browser, served: Served
) -> None:
    snippet = f'<script src="/widget.js" data-agent-key="{served.demo.public_key}" async></script>'
    # The hostile page is served on the app's own (allowed) origin, with and without the widget.
    pages = {
        "/hostile.html": HOSTILE_PAGE.replace("SNIPPET", snippet),
        "/hostile-bare.html": HOSTILE_PAGE.replace("SNIPPET", ""),
    }

    reference = await visit(browser, served)
    await reference.page.goto(f"{served.base}/demo")
    await open_widget(reference.page)
    expected = {sel: await computed(reference.page, sel, props) for sel, props in PROBED.items()}

    v = await visit(browser, served)

    async def fulfil(route: Any) -> None:
        await route.fulfill(status=200, content_type="text/html", body=pages[urlsplit(route.request.url).path])

    await v.page.route(f"{served.base}/hostile*", fulfil)
    await v.page.goto(f"{served.base}/hostile-bare.html")
    before = await host_styles(v.page)
    await v.page.goto(f"{served.base}/hostile.html")
    await open_widget(v.page)
    after = await host_styles(v.page)
    assert after == before, "the widget's styles do not reach the host page"
    for selector, props in PROBED.items():
        assert await computed(v.page, selector, props) == expected[selector], f"host CSS leaked into {selector}"
    box = await v.page.locator(w(".panel")).bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    await ask(v.page, "How do I run Aioomi?")
    await v.page.locator(w(".msg.bot .actions")).last.wait_for()
    await shot(v.page, "hostile-page")
    assert v.foreign_requests(served.base) == []
    await v.context.close()
    await reference.context.close()


EVIL = (
    "Here is an image ![tracker](https://evil.example/pixel.png?leak=1) and raw HTML "
    '<img src=https://evil.example/a.png onerror="window.__pwned=1"> <script>window.__pwned=2</script> '
    '<a href="https://evil.example/x">html link</a> a [bad link](javascript:window.__pwned=3) '
    "and a [good link](https://example.org/docs) [1]"
)


async def test_an_answer_with_an_image_and_a_script_renders_inert(browser: Browser, served: Served) -> None:
    served.fake.fake.script_chat(reply=EVIL)
    v = await visit(browser, served)
    await v.page.goto(f"{served.base}/demo")
    await open_widget(v.page)
    # A question well past the relevance gate (cosine 0.49 to the docs with WordLlama), so the
    # scripted model is asked and its hostile answer rendered.
    await ask(v.page, "How do I run Aioomi?")
    answer = v.page.locator(w(".msg.bot")).last
    await answer.locator(".actions").wait_for()
    assert await v.page.locator(w(".log img, .log script, .log iframe, .log [onerror]")).count() == 0
    text = await answer.inner_text()
    assert "<script>window.__pwned=2</script>" in text and "<img src=" in text, "raw HTML is shown as text"
    assert "tracker" in text and "pixel.png" not in text, "an image becomes its alt text"
    links = await answer.locator(".md a").evaluate_all(
        "links => links.map(a => [a.textContent, a.getAttribute('href'), a.target, a.rel])"
    )
    assert links == [["good link", "https://example.org/docs", "_blank", "noopener nofollow noreferrer"]]
    await v.page.wait_for_timeout(300)
    assert await v.page.evaluate("() => window.__pwned") is None
    assert v.foreign_requests(served.base) == [], "no image or script was fetched"
    await shot(v.page, "inert-answer")
    await v.context.close()


HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![a](https://evil.example/i.png)",
    "![a](javascript:alert(1))",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox)",
    "[x](//evil.example/protocol-relative)",
    '[x](https://ok.example/" onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://ok.example/)",
    "**<b onclick=alert(1)>bold</b>**",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "- <svg onload=alert(1)>\n- two",
    "<iframe src=https://evil.example></iframe>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<style>*{display:none}</style>",
    "[x](https://ok.example/a_(b))",
    "*" * 2000 + "_" * 2000,
]

ALLOWED_TAGS = {"DIV", "P", "BR", "STRONG", "EM", "CODE", "PRE", "UL", "OL", "LI", "A", "SPAN"}


async def test_safe_markdown_renderer_on_hostile_inputs(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    await v.page.goto(f"{served.base}/demo")
    await v.page.locator(w(".launcher")).wait_for()
    results = await v.page.evaluate(
        """inputs => inputs.map(src => {
        const started = performance.now();
        const root = window.Aioomi.markdown(src);
        const nodes = [root, ...root.querySelectorAll('*')];
        return {
          src, ms: performance.now() - started, text: root.textContent,
          tags: nodes.map(n => n.tagName),
          attrs: nodes.flatMap(n => [...n.attributes].map(a => [n.tagName, a.name, a.value])),
        };
    })""",
        HOSTILE_MARKDOWN,
    )
    for r in results:
        assert set(r["tags"]) <= ALLOWED_TAGS, r
        for tag, name, value in r["attrs"]:
            assert (tag, name) in {("DIV", "class"), ("A", "href"), ("A", "target"), ("A", "rel"), ("OL", "start")}, r
            if name == "href":
                assert value.startswith(("https://", "http://")) and '"' not in value, r
        assert r["ms"] < 200, f"pathological input is fast: {r['ms']} ms"
    by_source = {r["src"]: r for r in results}
    assert by_source["<script>alert(1)</script>"]["text"] == "<script>alert(1)</script>"
    assert by_source["&lt;script&gt;alert(1)&lt;/script&gt;"]["text"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "A" not in by_source["[x](javascript:alert(1))"]["tags"]
    assert "A" not in by_source["[x](//evil.example/protocol-relative)"]["tags"]
    assert by_source["```\n<script>alert(1)</script>\n```"]["tags"] == ["DIV", "PRE", "CODE"]
    good = await v.page.evaluate(
        "() => window.Aioomi.markdown('**b** *e* `c`\\n\\n1. one\\n2. two\\n\\n- x\\n- y').innerHTML"
    )
    assert (
        good
        == "<p><strong>b</strong> <em>e</em> <code>c</code></p><ol><li>one</li><li>two</li></ol><ul><li>x</li><li>y</li></ul>"
    )
    assert await v.page.evaluate("() => window.__pwned") is None
    await v.context.close()


HOSTILE_CITATIONS = [
    {
        "document_id": "doc_a",
        "document_title": "Returns <b>policy</b>",
        "number": 1,
        "excerpt": "Within 30 days.",
        "url": "https://shop.example/returns#:~:text=Within%2030%20days",
    },
    {
        "document_id": "doc_b",
        "document_title": "Evil",
        "number": 2,
        "excerpt": "<img src=x onerror=alert(1)>",
        "url": "javascript:alert(1)",
    },
    {"document_id": "doc_c", "document_title": "Upload", "number": 3, "excerpt": "", "url": None},
    {"document_id": "doc_d", "document_title": "Data", "number": 4, "excerpt": "x", "url": "data:text/html,<p>x"},
]


async def test_sources_render_as_safe_links_with_the_quote_on_demand(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    await v.page.goto(f"{served.base}/demo")
    await v.page.locator(w(".launcher")).wait_for()
    rendered = await v.page.evaluate(
        """citations => {
        const root = window.Aioomi.sources(citations);
        document.body.append(root);  // in the page, so the closed <details> hide their quote
        const items = [...root.querySelectorAll('li')].map(li => ({
          label: li.firstElementChild.tagName, text: li.firstElementChild.textContent,
          href: li.firstElementChild.getAttribute('href'), rel: li.firstElementChild.getAttribute('rel'),
          target: li.firstElementChild.getAttribute('target'),
          quote: li.querySelector('details q')?.textContent ?? null,
          open: li.querySelector('details')?.open ?? null, visible: li.innerText,
        }));
        return {items, tags: [...root.querySelectorAll('*')].map(n => n.tagName)};
    }""",
        HOSTILE_CITATIONS,
    )
    link, evil, upload, data = rendered["items"]
    assert (link["label"], link["href"], link["rel"], link["target"]) == (
        "A",
        "https://shop.example/returns#:~:text=Within%2030%20days",
        "noopener noreferrer nofollow",
        "_blank",
    )
    assert link["text"] == "[1] Returns <b>policy</b>"  # a title is text, never markup
    assert link["quote"] == "Within 30 days." and link["open"] is False and "Within 30 days" not in link["visible"]
    assert evil["label"] == "SPAN" and evil["href"] is None  # a javascript: URL never becomes a link
    assert evil["quote"] == "<img src=x onerror=alert(1)>"
    assert upload["label"] == "SPAN" and upload["quote"] is None
    assert data["label"] == "SPAN"
    assert "IMG" not in rendered["tags"] and "B" not in rendered["tags"]
    assert await v.page.evaluate("() => window.__pwned") is None
    await v.context.close()


def _ratio(a: str, b: str) -> float:
    def lum(rgb: str) -> float:
        values = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    la, lb = lum(a), lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_theme_follows_the_color_scheme_with_readable_contrast(
    browser: Browser, served: Served, scheme: str
) -> None:
    served.fake.fake.script_chat(reply="Embed it with one script tag [1].")
    v = await visit(browser, served, color_scheme=scheme)
    await v.page.goto(f"{served.base}/demo")
    await open_widget(v.page)
    await ask(v.page, "How do I embed the widget on my site?")
    await v.page.locator(w(".msg.bot .actions")).last.wait_for()
    panel = await computed(v.page, ".panel", ["background-color", "color"])
    expected_bg = "rgb(17, 24, 39)" if scheme == "dark" else "rgb(255, 255, 255)"
    assert panel["background-color"] == expected_bg
    assert _ratio(panel["color"], panel["background-color"]) >= 7
    for selector in (".msg.user", "header h2", ".foot", ".msg.bot"):
        colours = await computed(v.page, selector, ["color", "background-color"])
        background = (
            colours["background-color"]
            if colours["background-color"] != "rgba(0, 0, 0, 0)"
            else panel["background-color"]
        )
        if selector == "header h2":
            background = (await computed(v.page, "header", ["background-color"]))["background-color"]
        assert _ratio(colours["color"], background) >= 4.5, (selector, colours)
    await shot(v.page, f"theme-{scheme}")
    await v.context.close()


async def test_mobile_width_opens_the_panel_full_screen(browser: Browser, served: Served) -> None:
    v = await visit(browser, served, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    await v.page.goto(f"{served.base}/demo")
    await open_widget(v.page)
    box = await v.page.locator(w(".panel")).bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 740}
    await shot(v.page, "mobile-open")
    await v.page.locator(w("header button[aria-label='Close chat']")).click()
    assert await v.page.locator(w(".panel")).is_hidden()
    desktop = await visit(browser, served, viewport={"width": 1280, "height": 800})
    await desktop.page.goto(f"{served.base}/demo")
    await open_widget(desktop.page)
    wide = await desktop.page.locator(w(".panel")).bounding_box()
    assert wide is not None and wide["width"] == 380 and wide["x"] > 800
    await v.context.close()
    await desktop.context.close()


async def test_keyboard_only_use_and_focus_management(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    page = v.page
    await page.goto(f"{served.base}/demo")
    await page.locator(w(".launcher")).wait_for()
    await page.locator(w(".launcher")).focus()
    await page.keyboard.press("Enter")
    active = "() => document.querySelector('aioomi-widget').shadowRoot.activeElement?.textContent + '|' + document.querySelector('aioomi-widget').shadowRoot.activeElement?.tagName"
    assert (await page.evaluate(active)).endswith("|TEXTAREA")
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Shift+Tab")  # back through the log and the starters to the header
    for _ in range(6):
        if (await page.evaluate(active)).startswith("Your data"):
            break
        await page.keyboard.press("Shift+Tab")
    assert (await page.evaluate(active)).startswith("Your data")
    await page.keyboard.press("Enter")
    assert (await page.evaluate(active)).startswith("New conversation")
    await page.keyboard.press("ArrowDown")  # download and delete are disabled with no conversation
    assert (await page.evaluate(active)).startswith("Privacy policy")  # the policy link (issue 13)
    await page.keyboard.press("ArrowDown")
    assert (await page.evaluate(active)).startswith("New conversation")
    await page.keyboard.press("Escape")
    assert await page.locator(w(".menu")).is_hidden()
    assert (await page.evaluate(active)).startswith("Your data")
    await page.keyboard.press("Escape")
    assert await page.locator(w(".panel")).is_hidden()
    assert (await page.evaluate(active)).endswith("|BUTTON")
    assert await page.locator(w(".launcher")).get_attribute("aria-expanded") == "false"
    await v.context.close()


async def test_a_paused_agent_is_explained_in_the_panel_then_shows_nothing(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    warnings: list[str] = []
    v.page.on("console", lambda message: warnings.append(message.text))
    await v.page.goto(f"{served.base}/demo")
    await open_widget(v.page)
    pause = served.container.update_agent()
    served.run(pause(served.principal, served.demo.agent_id, AgentChanges(status=AgentStatus.PAUSED)))
    try:
        await ask(v.page, "How do I run Aioomi?")
        error = v.page.locator(w(".error"))
        await error.wait_for()
        assert await error.inner_text() == "This assistant is paused right now. Please come back later."
        assert await error.locator("button").count() == 0, "no retry while paused"
        await v.page.reload()
        await v.page.wait_for_function("() => document.readyState === 'complete'")
        await v.page.wait_for_timeout(500)
        assert await v.page.locator("aioomi-widget").count() == 0, "a paused agent shows nothing, like an unknown key"
        assert any("paused" in text for text in warnings), warnings
    finally:
        served.run(pause(served.principal, served.demo.agent_id, AgentChanges(status=AgentStatus.ACTIVE)))
    await v.context.close()


async def test_a_failed_answer_can_be_retried(browser: Browser, served: Served) -> None:
    served.fake.fake.fail_next(3, status=500)  # every attempt of the model client fails: model_unavailable
    v = await visit(browser, served)
    await v.page.goto(f"{served.base}/demo")
    await open_widget(v.page)
    await ask(v.page, "How do I run Aioomi?")
    error = v.page.locator(w(".error"))
    await error.wait_for(timeout=30_000)
    assert "unavailable" in await error.inner_text()
    served.fake.fake.reset()
    served.fake.fake.script_chat(reply="Type make run [1].")
    await error.locator("button").click()
    await v.page.locator(w(".msg.bot .actions")).last.wait_for()
    assert "Type make run" in await v.page.locator(w(".msg.bot")).last.inner_text()
    assert await v.page.locator(w(".msg.user")).count() == 1, "the retry does not repeat the question"
    await v.context.close()


async def test_widget_script_is_cached_and_open_to_every_origin(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base) as client:
        first = await client.get("/widget.js", headers={"origin": "https://shop.example.com"})
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/javascript")
        assert first.headers["access-control-allow-origin"] == "*"
        assert "max-age" in first.headers["cache-control"]
        etag = first.headers["etag"]
        again = await client.get("/widget.js", headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        digest = etag.strip('"')
        hashed = await client.get(f"/widget/{digest}.js")
        assert hashed.status_code == 200 and hashed.content == first.content
        assert "immutable" in hashed.headers["cache-control"]
        assert (await client.get("/widget/0000.js")).status_code == 404


def _page_with(served: Served, html_attrs: str, extra: str = "", body: str = "<p>Host page</p>") -> str:
    snippet = f'<script src="{served.base}/widget.js" data-agent-key="{served.demo.public_key}" {extra} async></script>'
    return f"<!doctype html><html {html_attrs}><head><meta charset='utf-8'><title>Host</title></head><body>{body}{snippet}</body></html>"


async def serve_page(v: Visit, url: str, html: str, headers: dict[str, str] | None = None) -> None:
    async def fulfil(route: Any) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html, headers=headers or {})

    await v.page.route(url, fulfil)
    await v.page.goto(url)


async def test_an_arabic_rtl_page_gets_the_widget_in_arabic_right_to_left(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    await serve_page(v, f"{served.base}/rtl.html", _page_with(served, 'lang="ar" dir="rtl"'))
    await open_widget(v.page)
    root = v.page.locator(w(".root"))
    assert (await root.get_attribute("dir"), await root.get_attribute("lang")) == ("rtl", "ar")
    assert (
        await v.page.evaluate(
            "() => getComputedStyle(document.querySelector('aioomi-widget').shadowRoot"
            ".querySelector('.foot')).direction"
        )
        == "rtl"
    )
    assert await v.page.locator(w(".foot")).inner_text() == "تأتي الإجابات من مستندات هذا الموقع. بدعم من Aioomi."
    assert await v.page.locator(w("textarea")).get_attribute("placeholder") == "اطرح سؤالًا…"
    await shot(v.page, "rtl-arabic")
    await v.context.close()
    # dir is the widget's own: an English widget on a right-to-left page stays left-to-right.
    english = await visit(browser, served)
    await serve_page(english, f"{served.base}/rtl-en.html", _page_with(served, 'lang="he" dir="rtl"'))
    await open_widget(english.page)
    assert await english.page.locator(w(".root")).get_attribute("dir") == "ltr"
    assert (
        await english.page.evaluate(
            "() => getComputedStyle(document.querySelector('aioomi-widget').shadowRoot"
            ".querySelector('.foot')).direction"
        )
        == "ltr"
    )
    assert await english.page.locator(w("header button[aria-label='Close chat']")).count() == 1
    await english.context.close()


async def test_sources_and_copy_speak_the_widgets_language(browser: Browser, served: Served) -> None:
    # A German page: the words around an answer (sources, quote, copy) are German too.
    served.fake.fake.script_chat(reply="Type make run [1].")
    v = await visit(browser, served)
    await serve_page(v, f"{served.base}/de.html", _page_with(served, 'lang="de"'))
    await open_widget(v.page)
    await ask(v.page, "How do I run Aioomi?")
    answer = v.page.locator(w(".msg.bot")).last
    await answer.locator(".actions button").first.wait_for(timeout=30_000)
    assert await answer.locator(".sources > span").inner_text() == "Quellen"
    assert set(await answer.locator(".sources summary").all_inner_texts()) == {"Zitat"}
    copy = answer.locator(".actions button").first
    assert (await copy.inner_text(), await copy.get_attribute("aria-label")) == ("Kopieren", "Antwort kopieren")
    assert await answer.locator(".rate.down").get_attribute("aria-label") == "Nicht hilfreich"
    assert "Sources" not in await answer.inner_text() and "Copy" not in await answer.inner_text()
    served.fake.fake.reset()
    await v.context.close()


async def test_the_widget_works_under_trusted_types(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    errors: list[str] = []
    v.page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    await serve_page(
        v,
        f"{served.base}/tt.html",
        _page_with(served, 'lang="en"'),
        headers={"Content-Security-Policy": "require-trusted-types-for 'script'"},
    )
    await open_widget(v.page)
    assert await v.page.locator(w(".launcher svg path")).count() == 1
    assert await v.page.locator(w("form .icon svg")).count() == 1
    assert not [e for e in v.requests if e.startswith("pageerror:")], v.requests
    assert not [e for e in errors if "TrustedHTML" in e or "Trusted Type" in e], errors
    await v.context.close()


async def test_a_refused_origin_is_named_in_the_console_with_its_near_miss(browser: Browser, served: Served) -> None:
    port = urlsplit(served.base).port
    assert port is not None
    other = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}"
    update = served.container.update_agent()
    before = served.run(served.container.get_agent()(served.principal, served.demo.agent_id)).allowed_origins
    served.run(update(served.principal, served.demo.agent_id, AgentChanges(allowed_origins=(other,))))
    try:
        v = await visit(browser, served)
        messages: list[str] = []
        v.page.on("console", lambda message: messages.append(message.text))
        await v.page.goto(f"{served.base}/demo")
        await v.page.wait_for_function("() => document.readyState === 'complete'")
        await v.page.wait_for_timeout(1000)
        assert await v.page.locator("aioomi-widget").count() == 0
        said = [m for m in messages if m.startswith("Aioomi widget:")]
        assert said and served.base in said[0] and f"{other} differs only in the port" in said[0], messages
        assert not any("offline" in m for m in messages)
        await v.context.close()
    finally:
        served.run(update(served.principal, served.demo.agent_id, AgentChanges(allowed_origins=tuple(before))))
    refused = served.run(served.container.list_refused_origins()(served.principal, served.demo.agent_id))
    assert [r.origin for r in refused] == []  # allowed again: no longer listed


async def test_phone_use_traps_focus_keeps_the_keyboard_down_and_reads_16px(browser: Browser, served: Served) -> None:
    v = await visit(browser, served, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    await v.page.goto(f"{served.base}/demo")
    await v.page.locator(w(".launcher")).click()
    await v.page.locator(w("textarea")).wait_for(state="visible")
    active = "() => document.querySelector('aioomi-widget').shadowRoot.activeElement?.getAttribute('aria-label')"
    assert await v.page.evaluate(active) == "Close chat", "opening focuses the panel, not the text box"
    assert (
        await v.page.evaluate(
            "() => getComputedStyle(document.querySelector('aioomi-widget').shadowRoot"
            ".querySelector('textarea')).fontSize"
        )
        == "16px"
    )
    inside = "() => document.activeElement === document.querySelector('aioomi-widget')"
    for _ in range(25):  # Tab around the whole panel: focus never reaches the page behind it
        await v.page.keyboard.press("Tab")
        assert await v.page.evaluate(inside)
    for _ in range(5):
        await v.page.keyboard.press("Shift+Tab")
        assert await v.page.evaluate(inside)
    await v.context.close()


async def test_the_launcher_names_its_text_try_again_reads_and_z_index_is_an_attribute(
    browser: Browser, served: Served
) -> None:
    served.run(
        served.container.update_agent()(
            served.principal,
            served.demo.agent_id,
            AgentChanges(widget=WidgetChanges(launcher_text="Need help?", theme=WidgetTheme.DARK)),
        )
    )
    try:
        v = await visit(browser, served)
        await serve_page(
            v,
            f"{served.base}/z.html",
            _page_with(
                served,
                'lang="en"',
                'data-z-index="2147483647"',
                body='<div id="cover" style="position:fixed;inset:0;z-index:2147483646;background:transparent"></div>',
            ),
        )
        launcher = v.page.locator(w(".launcher"))
        await launcher.wait_for()
        label = await launcher.get_attribute("aria-label")
        assert label is not None and label.startswith("Need help?")
        assert (
            await v.page.evaluate("() => getComputedStyle(document.querySelector('aioomi-widget')).zIndex")
            == "2147483647"
        )
        await launcher.click()  # not covered by the page's own top layer
        await v.page.locator(w("textarea")).wait_for(state="visible")
        served.fake.fake.fail_next(3, status=500)
        await ask(v.page, "How do I run Aioomi?")
        again = v.page.locator(w(".error button"))
        await again.wait_for(timeout=30_000)
        colours = await computed(v.page, ".error button", ["color", "background-color"])
        assert _ratio(colours["color"], colours["background-color"]) >= 4.5, colours
        served.fake.fake.reset()
        await v.context.close()
    finally:
        served.run(
            served.container.update_agent()(
                served.principal,
                served.demo.agent_id,
                AgentChanges(widget=WidgetChanges(launcher_text=None, theme=WidgetTheme.AUTO)),
            )
        )


async def test_offline_is_said_only_when_the_browser_is_offline(browser: Browser, served: Served) -> None:
    v = await visit(browser, served)
    await v.page.goto(f"{served.base}/demo")
    await open_widget(v.page)
    await v.page.route(f"{served.base}/api/v1/widget/**", lambda route: route.abort("connectionrefused"))
    await ask(v.page, "How do I run Aioomi?")
    error = v.page.locator(w(".error span")).last
    await error.wait_for()
    assert await error.inner_text() == "The assistant can't be reached right now. Please try again."
    await v.context.set_offline(True)
    await v.page.locator(w(".error button")).last.click()
    await v.page.wait_for_function(
        "() => [...document.querySelector('aioomi-widget').shadowRoot.querySelectorAll('.error span')]"
        ".some(s => s.textContent.startsWith('You appear to be offline'))"
    )
    await v.context.close()


async def test_the_widget_has_no_serious_axe_violation_open_or_closed(browser: Browser, served: Served) -> None:
    from tests.support.axe import install_axe, serious_violations

    for theme in ("light", "dark"):
        v = await visit(browser, served, color_scheme=theme)
        await install_axe(v.page)
        await v.page.goto(f"{served.base}/demo")
        await v.page.locator(w(".launcher")).wait_for()
        assert await serious_violations(v.page, "'aioomi-widget'") == [], theme
        await open_widget(v.page)
        await ask(v.page, "How do I run Aioomi?")
        await v.page.locator(w(".msg.bot .actions")).last.wait_for()
        assert await serious_violations(v.page, "'aioomi-widget'") == [], theme
        await v.context.close()


async def test_a_visitor_rates_an_answer_with_a_comment_and_the_vote_survives_a_reload(
    browser: Browser, served: Served
) -> None:
    served.fake.fake.script_chat(reply="Type make run [1].")
    v = await visit(browser, served)
    page = v.page
    await page.goto(f"{served.base}/demo")
    await open_widget(page)
    await ask(page, "How do I start the server?")
    answer = page.locator(w(".msg.bot")).last
    up, down = answer.locator(".rate.up"), answer.locator(".rate.down")
    await down.wait_for()
    assert [await up.get_attribute("aria-label"), await down.get_attribute("aria-label")] == ["Helpful", "Not helpful"]
    assert [await up.get_attribute("aria-pressed"), await down.get_attribute("aria-pressed")] == ["false", "false"]

    await down.click()
    await page.locator(w('.rate.down[aria-pressed="true"]')).wait_for()
    comment = page.locator(w(".why textarea"))
    assert await comment.get_attribute("aria-label") == "What was wrong? (optional)"
    assert (
        await page.evaluate("() => document.querySelector('aioomi-widget').shadowRoot.activeElement?.tagName")
        == "TEXTAREA"
    )
    await comment.fill("<b>It is make serve</b>, not make run.")
    await page.locator(w(".why button")).click()
    await page.locator(w(".why")).wait_for(state="detached")
    assert await page.locator(w(".sr[role=status]")).text_content() == "Thanks for your feedback."
    await shot(page, "feedback-down")

    rated = served.run(served.container.list_answer_feedback()(served.principal, served.demo.agent_id, rating="down"))
    mine = [e for e in rated if e.question == "How do I start the server?"]
    shown = await answer.locator(".md").inner_text()
    assert [(e.feedback.comment, e.answer.split(" [")[0]) for e in mine] == [
        ("<b>It is make serve</b>, not make run.", shown.split(" [")[0].strip())
    ]

    await page.reload()  # the vote is restored with the conversation
    await open_widget(page)
    restored = page.locator(w(".msg.bot")).last
    await restored.locator('.rate.down[aria-pressed="true"]').wait_for()
    assert await restored.locator(".rate.up").get_attribute("aria-pressed") == "false"
    await restored.locator(".rate.up").focus()
    await page.keyboard.press("Enter")  # a keyboard user changes their mind
    await restored.locator('.rate.up[aria-pressed="true"]').wait_for()
    assert await restored.locator(".rate.down").get_attribute("aria-pressed") == "false"
    assert await page.locator(w(".why")).count() == 0, "a thumbs-up asks for no comment"
    changed = served.run(served.container.list_answer_feedback()(served.principal, served.demo.agent_id))
    assert [(e.feedback.rating, e.feedback.comment) for e in changed if e.message_id == mine[0].message_id] == [
        ("up", None)
    ]
    assert not [r for r in v.requests if r.startswith("pageerror:")], v.requests
    await v.context.close()
