"""The plan's limits over HTTP on Postgres: 402 ``plan_limit_reached`` problems, nothing stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.accounts_support import App, problem, serve, sign_up_and_verify
from tests.unit.knowledge_support import use_test_embedders

AGENTS = "/api/v1/agents"
PLANS = [{"id": "free", "name": "Free", "max_agents": 1, "max_documents": 1, "max_storage_mb": 1}]


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path) -> AsyncIterator[App]:
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        configure=lambda c: use_test_embedders(c),
        billing_plans=json.dumps(PLANS),
        stripe_secret_key="sk_test_x",
    ) as app:
        yield app


async def test_a_second_agent_on_a_one_agent_plan_is_402_and_not_stored(app: App) -> None:
    owner = await sign_up_and_verify(app, "ada@example.com")
    first = await app.client.post(AGENTS, json={"name": "One"}, headers=owner.headers())
    assert first.status_code == 201, first.text
    body = problem(
        await app.client.post(AGENTS, json={"name": "Two"}, headers=owner.headers()), 402, "plan_limit_reached"
    )
    assert "Free plan allows 1 agent" in body["detail"]
    assert await app.count("agents") == 1


async def test_a_document_beyond_the_plan_is_402_and_not_stored(app: App) -> None:
    owner = await sign_up_and_verify(app, "ada@example.com")
    agent = await app.client.post(AGENTS, json={"name": "One"}, headers=owner.headers())
    docs = f"{AGENTS}/{agent.json()['id']}/documents"
    ok = await app.client.post(
        docs, files={"file": ("a.txt", b"Returns within thirty days.", "text/plain")}, headers=owner.headers()
    )
    assert ok.status_code in (201, 202), ok.text
    blobs = sorted(p for p in app.settings.blobs_dir.rglob("*") if p.is_file())
    body = problem(
        await app.client.post(
            docs, files={"file": ("b.txt", b"Parcels leave Lyon daily.", "text/plain")}, headers=owner.headers()
        ),
        402,
        "plan_limit_reached",
    )
    assert "1 document" in body["detail"]
    assert await app.count("documents") == 1
    assert sorted(p for p in app.settings.blobs_dir.rglob("*") if p.is_file()) == blobs
