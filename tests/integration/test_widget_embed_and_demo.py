"""The owner's embed snippet (GET /api/v1/agents/{id}/embed), the same-origin widget request
of the demo page, and the demo seeding on PostgreSQL (idempotent, through the documents
pipeline)."""

from __future__ import annotations

from pathlib import Path

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentStatus
from aioomi.domain.usecases.seed_demo import DEMO_AGENT_NAME, DEMO_EMAIL, DemoDocument
from aioomi.entrypoints.demo import demo_documents, demo_enabled, demo_origins
from aioomi.settings import Settings, load_settings
from tests.integration.accounts_support import BASE_URL, problem, serve, sign_up_and_verify


async def test_the_owner_gets_the_snippet_for_an_agent(tmp_path: Path) -> None:
    async with serve("memory", tmp_path / "aioomi", base_url="https://aioomi.example.com") as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        created = await app.client.post("/api/v1/agents", json={"name": "Shop helper"}, headers=owner.headers())
        agent = created.json()
        response = await app.client.get(f"/api/v1/agents/{agent['id']}/embed", headers=owner.headers())
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["snippet"] == (
            f'<script src="https://aioomi.example.com/widget.js" data-agent-key="{agent["public_key"]}" async></script>'
        )
        assert body["public_key"] == agent["public_key"] and body["allowed_origins"] == []
        assert set(body["options"]) == {"data-position", "data-theme", "data-open", "data-locale", "data-z-index"}
        assert len(body["warnings"]) == 1 and "allowed origins" in body["warnings"][0].lower()

        await app.client.patch(
            f"/api/v1/agents/{agent['id']}",
            headers=owner.headers(),
            json={"allowed_origins": ["https://shop.example.com"], "status": "paused"},
        )
        body = (await app.client.get(f"/api/v1/agents/{agent['id']}/embed", headers=owner.headers())).json()
        assert body["allowed_origins"] == ["https://shop.example.com"]
        assert len(body["warnings"]) == 1 and "paused" in body["warnings"][0]

        other = await sign_up_and_verify(app, "other@example.com")
        problem(
            await app.client.get(f"/api/v1/agents/{agent['id']}/embed", headers=other.headers()), 404, "agent_not_found"
        )
        app.client.cookies.clear()
        problem(await app.client.get(f"/api/v1/agents/{agent['id']}/embed"), 401)

        operation = (await app.client.get("/schema/openapi.json")).json()["paths"]["/api/v1/agents/{agent_id}/embed"][
            "get"
        ]
        assert {"200", "401", "403", "404"} <= operation["responses"].keys()


async def test_a_same_origin_widget_request_counts_as_the_servers_own_origin(tmp_path: Path) -> None:
    """Browsers send no Origin on a same-origin GET (the widget on the demo page); the widget API
    then takes the server's own origin, when the browser says the request is same-origin."""
    async with serve("memory", tmp_path / "aioomi") as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        created = await app.client.post(
            "/api/v1/agents", json={"name": "Shop helper", "allowed_origins": [BASE_URL]}, headers=owner.headers()
        )
        config = f"/api/v1/widget/{created.json()['public_key']}/config"
        response = await app.client.get(config, headers={"sec-fetch-site": "same-origin"})
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == BASE_URL
        problem(await app.client.get(config), 403, "origin_not_allowed")
        problem(await app.client.get(config, headers={"sec-fetch-site": "cross-site"}), 403, "origin_not_allowed")


async def test_demo_seeding_is_idempotent_and_uses_the_documents_pipeline(tmp_path: Path, pg_conninfo: str) -> None:
    origins = demo_origins("http://127.0.0.1:8000")
    assert origins == ["http://127.0.0.1:8000", "http://localhost:8000"]
    docs = [
        DemoDocument(title="README.md", data=b"# Aioomi\n\nRun it with make run.\n"),
        DemoDocument(title="docs/widget.md", data=b"# Widget\n\nOne script tag.\n"),
    ]
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
        seed = app.container.seed_demo()
        first = await seed(origins, docs)
        assert (first.documents_added, first.documents_replaced) == (2, 0)
        again = await seed(origins, docs)
        assert (again.account_id, again.agent_id, again.public_key) == (
            first.account_id,
            first.agent_id,
            first.public_key,
        )
        assert (again.documents_added, again.documents_replaced) == (0, 0)

        principal = Principal.own(account_id=first.account_id)
        agents = (await app.container.list_agents()(principal)).items
        assert [(a.name, a.allowed_origins) for a in agents] == [(DEMO_AGENT_NAME, tuple(origins))]
        async with app.container.uow()(account_id=None) as uow:
            account = await uow.accounts.find_by_email(DEMO_EMAIL)
        assert account is not None and account.id == first.account_id and account.google_subject is None
        documents = (await app.container.list_documents()(principal, first.agent_id)).items
        assert sorted(d.title for d in documents) == ["README.md", "docs/widget.md"]
        assert {d.status for d in documents} == {DocumentStatus.QUEUED}, "the worker ingests them"

        # A changed file is replaced in place; a new origin replaces the old ones.
        changed = [docs[0], DemoDocument(title="docs/widget.md", data=b"# Widget\n\nOne tag, async.\n")]
        third = await seed(["http://127.0.0.1:9000"], changed)
        assert (third.documents_added, third.documents_replaced, third.public_key) == (0, 1, first.public_key)
        documents = {d.title: d for d in (await app.container.list_documents()(principal, first.agent_id)).items}
        assert len(documents) == 2 and documents["docs/widget.md"].version == 2
        agent = await app.container.get_agent()(principal, first.agent_id)
        assert agent.allowed_origins == ("http://127.0.0.1:9000",)

        # The widget serves on the demo's origin.
        response = await app.client.get(
            f"/api/v1/widget/{first.public_key}/config", headers={"origin": "http://127.0.0.1:9000"}
        )
        assert response.status_code == 200 and response.json()["starter_questions"]


def test_the_demo_runs_on_the_embedded_database_and_in_memory_unless_turned_off() -> None:
    assert demo_enabled(Settings(), memory=False)
    assert demo_enabled(Settings(database_url="postgresql://db/aioomi"), memory=True)
    assert not demo_enabled(Settings(database_url="postgresql://db/aioomi"), memory=False)
    assert not demo_enabled(load_settings({"AIOOMI_DEMO": "off"}), memory=True)
    titles = [d.title for d in demo_documents()]
    assert titles[0] == "README.md" and "docs/chat.md" in titles and all(t.endswith(".md") for t in titles)
