"""The dashboard's pages without a browser: each renders for a signed-in owner and sends a
signed-out visitor to sign-in; another owner's agent is a 404 page; nothing is loaded from
another site; no page needs more than 100 KB (its HTML and every asset it links)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from aioomi.adapters.local.argon2_hasher import Argon2PasswordHasher
from aioomi.adapters.local.outbox_mailer import read_outbox
from aioomi.container import container_in_memory, start, stop
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import run_sign_up_mail_jobs

ASSET_BUDGET = 100 * 1024
BASE_URL = "http://127.0.0.1"  # loopback: the session cookie is not Secure, the client sends it back
PUBLIC_PAGES = [
    "/sign-in",
    "/sign-up",
    "/verify-email?token=abcdefghijk",
    "/forgot-password",
    "/reset-password?token=abcdefghijk",
    "/cancel-deletion?token=abcdefghijk",
]


@dataclass
class App:
    client: AsyncTestClient
    settings: Settings
    container: Any = None

    def another_client(self) -> AsyncTestClient:
        """A second browser on the same app (its own cookie jar)."""
        return AsyncTestClient(self.client.app, base_url=BASE_URL)


@dataclass
class Owner:
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"x-csrf-token": self.csrf}


@pytest.fixture
async def app(tmp_path: Path):
    settings = Settings(data_dir=str(tmp_path / "aioomi"), log_format="console", public_url=BASE_URL)
    container = container_in_memory(settings=settings)
    container.password_hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost_kib=8, parallelism=1))
    )
    await start(container)
    try:
        async with AsyncTestClient(create_app(container, manage_lifecycle=False), base_url=BASE_URL) as client:
            yield App(client=client, settings=settings, container=container)
    finally:
        await stop(container)


async def sign_up_and_verify(app: App, email: str, client: AsyncTestClient | None = None) -> Owner:
    """Sign up through the API and follow the e-mailed link: a verified, signed-in owner."""
    client = client or app.client
    response = await client.post(
        "/api/v1/auth/signup",
        json={
            "email": email,
            "full_name": "Ada Lovelace",
            "password": "correct horse battery staple",
            "adult": True,
            "accepted_policy_version": CURRENT_POLICY_VERSION,
        },
    )
    assert response.status_code == 202, response.text
    await run_sign_up_mail_jobs(app)  # the verification link is mailed by a job
    mail = [m for m in read_outbox(app.settings.outbox_dir) if m.to == email][-1]
    token = unquote(re.findall(r"[?&]token=([^\s&]+)", mail.text)[0])
    response = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200, response.text
    return Owner(csrf=response.json()["csrf_token"])


async def _owner_with_agent(app: App, email: str = "owner@example.com") -> tuple[Owner, str]:
    owner = await sign_up_and_verify(app, email)
    response = await app.client.post("/api/v1/agents", json={"name": "Helpdesk"}, headers=owner.headers())
    assert response.status_code == 201, response.text
    return owner, response.json()["id"]


def _dashboard_pages(agent_id: str) -> list[str]:
    return [
        "/dashboard/agents",
        f"/dashboard/agents/{agent_id}",
        f"/dashboard/agents/{agent_id}/knowledge",
        f"/dashboard/agents/{agent_id}/questions",
        f"/dashboard/agents/{agent_id}/tests",
        "/dashboard/conversations",
        f"/dashboard/conversations?agent_id={agent_id}",
        "/dashboard/analytics",
        f"/dashboard/analytics?agent_id={agent_id}&from=2026-01-01&to=2026-01-31",
        "/dashboard/usage",
        "/dashboard/usage?days=7",
        "/dashboard/billing",
        "/dashboard/account",
    ]


class Assets(HTMLParser):
    """The URLs a page makes the browser load: scripts, stylesheets, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video") and found.get("src"):
            self.urls.append(found["src"] or "")
        if (
            tag == "link"
            and found.get("href")
            and (found.get("rel") or "") in ("stylesheet", "preload", "icon", "modulepreload")
        ):
            self.urls.append(found["href"] or "")


async def test_every_page_renders_for_a_signed_in_owner(app: App) -> None:
    owner, agent_id = await _owner_with_agent(app)
    for path in _dashboard_pages(agent_id):
        response = await app.client.get(path, follow_redirects=False)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["cache-control"] == "no-store", path
        html = response.text
        assert re.search(r"<h1>[^<]+</h1>", html), path
        # The page carries the session's CSRF token for the script's API calls.
        assert f'<meta name="csrf-token" content="{owner.csrf}">' in html, path
        assert "owner@example.com" in html or "Ada Lovelace" in html, path

    editor = (await app.client.get(f"/dashboard/agents/{agent_id}")).text
    public_key = (await app.client.get(f"/api/v1/agents/{agent_id}")).json()["public_key"]
    assert f"data-agent-key=&#34;{public_key}&#34;" in editor or f'data-agent-key="{public_key}"' in editor
    assert (await app.client.get("/", follow_redirects=False)).headers["location"] == "/dashboard/agents"
    assert (await app.client.get("/dashboard", follow_redirects=False)).headers["location"] == "/dashboard/agents"
    # Signed in already: the sign-in page goes on to the dashboard, never to another site.
    for target, expected in [
        ("/dashboard/usage", "/dashboard/usage"),
        ("//evil.example", "/dashboard/agents"),
        ("https://evil.example/", "/dashboard/agents"),
    ]:
        response = await app.client.get("/sign-in", params={"next": target}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == expected, (target, response.headers)


async def test_signed_out_visitors_are_sent_to_sign_in(app: App) -> None:
    _, agent_id = await _owner_with_agent(app)
    async with app.another_client() as stranger:
        for path in _dashboard_pages(agent_id):
            response = await stranger.get(path, follow_redirects=False)
            assert response.status_code == 303, (path, response.status_code)
            location = response.headers["location"]
            assert location.startswith("/sign-in?next=%2Fdashboard%2F"), (path, location)
        assert (await stranger.get("/", follow_redirects=False)).headers["location"] == "/sign-in"
        # A forged or expired cookie is the same as none.
        stranger.cookies.set("aioomi_session", "not-a-real-session-token")
        response = await stranger.get("/dashboard/account", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
        for path in PUBLIC_PAGES:
            response = await stranger.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            assert "<form" in response.text or "Open the link" in response.text, path
        signup = (await stranger.get("/sign-up")).text
        for name in ("full_name", "email", "password", "adult", "accepted_policy_version"):
            assert f'name="{name}"' in signup, name
            assert re.search(rf'<label for="f-{"policy" if name == "accepted_policy_version" else name}"', signup), name
        assert 'value="abcdefghijk"' in (await stranger.get("/verify-email?token=abcdefghijk")).text


async def test_another_owners_agent_is_a_not_found_page(app: App) -> None:
    _, agent_id = await _owner_with_agent(app, "first@example.com")
    async with app.another_client() as other:
        await sign_up_and_verify(app, "second@example.com", client=other)
        for path in (
            f"/dashboard/agents/{agent_id}",
            f"/dashboard/agents/{agent_id}/knowledge",
            f"/dashboard/agents/{agent_id}/questions",
            f"/dashboard/agents/{agent_id}/tests",
            "/dashboard/conversations/ses_missing",
            f"/dashboard/analytics?agent_id={agent_id}",
        ):
            response = await other.get(path, follow_redirects=False)
            assert response.status_code == 404, (path, response.status_code)
            assert response.headers["content-type"].startswith("text/html")
            assert "Helpdesk" not in response.text


async def test_no_page_loads_more_than_100_kb_or_anything_from_another_site(app: App) -> None:
    _, agent_id = await _owner_with_agent(app)
    measured = {}
    for path in [*_dashboard_pages(agent_id), *PUBLIC_PAGES]:
        response = await app.client.get(path)
        assert response.status_code == 200, path
        parser = Assets()
        parser.feed(response.text)
        assert parser.urls, path
        total = len(response.content)
        for url in parser.urls:
            if url.startswith("data:"):
                continue  # inline, nothing to fetch
            assert url.startswith("/") and not url.startswith("//"), (path, url)  # same origin, no CDN
            asset = await app.client.get(url)
            assert asset.status_code == 200, (path, url)
            total += len(asset.content)
        measured[path] = total
        assert total <= ASSET_BUDGET, (path, total)
    assert len(measured) == len(_dashboard_pages(agent_id)) + len(PUBLIC_PAGES)


async def test_pages_stay_out_of_the_api_schema(app: App) -> None:
    paths = (await app.client.get("/schema/openapi.json")).json()["paths"]
    assert not [
        p
        for p in paths
        if p.startswith(("/dashboard", "/sign-", "/verify-email", "/reset-password", "/forgot-password", "/static"))
    ]
    assert "/" not in paths


async def test_a_self_hosted_server_without_billing_shows_and_applies_no_plan_limits(app: App) -> None:
    owner = await sign_up_and_verify(app, "self@example.com")
    for name in ("One", "Two", "Three"):  # the default free plan would stop at one agent
        response = await app.client.post("/api/v1/agents", json={"name": name}, headers=owner.headers())
        assert response.status_code == 201, response.text
    plans = (await app.client.get("/api/v1/billing/plans")).json()
    assert (plans["billing_enabled"], plans["plans_apply"]) == (False, False)
    usage = (await app.client.get("/api/v1/billing/usage")).json()
    assert (usage["messages"]["allowance"], usage["tokens"]["allowance"], usage["plan"]["max_agents"]) == (
        None,
        None,
        None,
    )
    page = (await app.client.get("/dashboard/billing")).text
    assert "no plan limits apply" in page
    assert "<h2>Plans</h2>" not in page and "Status: none" not in page
    response = await app.client.post("/api/v1/billing/checkout", json={"plan_id": "pro"}, headers=owner.headers())
    assert (response.status_code, response.json()["code"]) == (404, "billing_disabled")
