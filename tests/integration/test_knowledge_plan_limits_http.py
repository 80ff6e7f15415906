"""The plan's limits on knowledge other than uploads, over HTTP on Postgres: a web source's page
count above the plan is a 402 ``plan_limit_reached`` (and the owner sees the limit in force); a
Q&A pair or a CSV import over the plan's documents is the same 402 as an upload, with nothing
written; a crawl that reaches the plan's documents stops taking new pages and says so in its run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from testkit.website import PAGES, Website, served_website

from tests.integration.accounts_support import App, problem, serve
from tests.integration.test_documents_http import AGENTS, blob_files, owner_with_agent, run_worker, sql
from tests.unit.knowledge_support import use_test_embedders

PLANS = [{"id": "free", "name": "Free", "max_documents": 5, "max_storage_mb": 1, "max_source_pages": 40}]


@pytest.fixture(scope="module")
def website() -> Iterator[Website]:
    with served_website() as site:
        yield site


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path) -> AsyncIterator[App]:
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        configure=lambda c: use_test_embedders(c),
        billing_plans=json.dumps(PLANS),
        stripe_secret_key="sk_test_x",
        source_max_pages=300,
        url_fetch_allowed_networks="127.0.0.1/32",
        url_fetch_timeout_s=3.0,
    ) as app:
        yield app


async def test_a_page_count_above_the_plan_is_402_and_the_limit_in_force_is_shown(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    sources = f"{AGENTS}/{agent_id}/sources"
    plans = (await app.client.get("/api/v1/billing/plans", headers=owner.headers())).json()["data"]
    assert [(p["id"], p["max_source_pages"]) for p in plans] == [("free", 40)]
    body = {"kind": "website", "settings": {"url": "https://shop.example.com/", "max_pages": 41}}
    refused = problem(await app.client.post(sources, json=body, headers=owner.headers()), 402, "plan_limit_reached")
    assert "Free plan allows 40 pages per source" in refused["detail"]
    assert await sql(app, "SELECT count(*) FROM knowledge_sources") == [(0,)]
    created = await app.client.post(
        sources, json={"kind": "website", "settings": {"url": "https://shop.example.com/"}}, headers=owner.headers()
    )
    assert created.status_code == 202, created.text
    assert (created.json()["settings"]["max_pages"], created.json()["page_limit"]) == (None, 40)
    source = f"{sources}/{created.json()['id']}"
    problem(
        await app.client.patch(
            source, json={"settings": {"url": "https://shop.example.com/", "max_pages": 41}}, headers=owner.headers()
        ),
        402,
        "plan_limit_reached",
    )
    changed = await app.client.patch(
        source, json={"settings": {"url": "https://shop.example.com/", "max_pages": 12}}, headers=owner.headers()
    )
    assert changed.status_code == 200 and changed.json()["page_limit"] == 12, changed.text
    assert (await app.client.get(source, headers=owner.headers())).json()["page_limit"] == 12


async def test_pairs_and_an_import_beyond_the_plans_documents_are_402_with_nothing_written(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs, pairs = f"{AGENTS}/{agent_id}/documents", f"{AGENTS}/{agent_id}/qa-pairs"
    for i in range(3):
        added = await app.client.post(
            docs, json={"title": f"Note {i}", "text": f"Note number {i}."}, headers=owner.headers()
        )
        assert added.status_code == 202, added.text
    first = await app.client.post(
        pairs, json={"question": "Opening hours?", "answer": "Nine to five."}, headers=owner.headers()
    )
    assert first.status_code == 201, first.text
    files = sorted(blob_files(app))
    # 4 documents of 5: an import of two new pairs would make 6, all or nothing
    csv = b"question,answer\nReturns?,Within thirty days.\nShipping?,To every EU country.\n"
    body = problem(
        await app.client.post(f"{pairs}/import", files={"file": ("qa.csv", csv, "text/csv")}, headers=owner.headers()),
        402,
        "plan_limit_reached",
    )
    assert "5 document" in body["detail"]
    assert await sql(app, "SELECT count(*) FROM documents") == [(4,)]
    assert await sql(app, "SELECT count(*) FROM qa_pairs") == [(1,)]
    assert sorted(blob_files(app)) == files
    fifth = await app.client.post(
        pairs, json={"question": "Returns?", "answer": "Within thirty days."}, headers=owner.headers()
    )
    assert fifth.status_code == 201, fifth.text
    # the same problem as an upload over the limit
    upload = problem(
        await app.client.post(docs, json={"title": "More", "text": "One more note."}, headers=owner.headers()),
        402,
        "plan_limit_reached",
    )
    pair = problem(
        await app.client.post(
            pairs, json={"question": "Shipping?", "answer": "To every EU country."}, headers=owner.headers()
        ),
        402,
        "plan_limit_reached",
    )
    assert pair["detail"] == upload["detail"]
    assert await sql(app, "SELECT count(*) FROM documents") == [(5,)]


async def test_a_crawl_reaching_the_plans_documents_stops_and_says_so(app: App, website: Website) -> None:
    owner, agent_id = await owner_with_agent(app)
    sources = f"{AGENTS}/{agent_id}/sources"
    added = await app.client.post(
        f"{AGENTS}/{agent_id}/documents", json={"title": "Note", "text": "A note."}, headers=owner.headers()
    )
    assert added.status_code == 202, added.text
    created = await app.client.post(
        sources, json={"kind": "sitemap", "settings": {"url": f"{website.base}/sitemap.xml"}}, headers=owner.headers()
    )
    assert created.status_code == 202, created.text
    await run_worker(app)
    [run] = (await app.client.get(f"{sources}/{created.json()['id']}/runs", headers=owner.headers())).json()["data"]
    # 293 listed addresses (see testkit/website.py); pages 0 to 3 stored (4 + the note = 5
    # documents); page 4 refused, page 5 fetched with it and the 287 after them left: 289
    assert run["status"] == "succeeded", run
    assert run["counts"] == {
        "discovered": PAGES + 3,
        "fetched": 4,
        "unchanged": 0,
        "updated": 4,
        "failed": 0,
        "skipped": 289,
        "removed": 0,
        "plan_limited": 289,
    }
    assert run["error"].startswith("Stopped taking new pages at the plan's limit: The Free plan allows 5 document")
    assert await sql(app, "SELECT count(*) FROM documents") == [(5,)]


async def test_a_pair_beyond_the_plans_storage_is_402_like_an_upload(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs, pairs = f"{AGENTS}/{agent_id}/documents", f"{AGENTS}/{agent_id}/qa-pairs"
    big = await app.client.post(
        docs, files={"file": ("big.txt", b"a" * (1024 * 1024 - 100), "text/plain")}, headers=owner.headers()
    )
    assert big.status_code == 202, big.text
    # 100 bytes left of the plan's 1 MB: an answer of 101 does not fit, one of 100 does
    body = problem(
        await app.client.post(pairs, json={"question": "Returns?", "answer": "b" * 101}, headers=owner.headers()),
        402,
        "plan_limit_reached",
    )
    assert "1 MB" in body["detail"]
    assert await sql(app, "SELECT count(*) FROM qa_pairs") == [(0,)]
    fits = await app.client.post(pairs, json={"question": "Returns?", "answer": "b" * 100}, headers=owner.headers())
    assert fits.status_code == 201, fits.text
