"""The sources API over HTTP on Postgres: files and texts join the agent's one upload source, a
fetched address gets a url source of its own; sources list with their documents and freshness,
rename, settings refused where a source has none, deletion with every document, chunk and file,
problems with stable codes, and isolation between accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.accounts_support import App, problem, serve, sign_up_and_verify
from tests.integration.test_documents_http import (  # noqa: F401 - fixture
    AGENTS,
    blob_files,
    owner_with_agent,
    run_worker,
    site,
    sql,
)
from tests.unit.knowledge_support import use_test_embedders


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path) -> AsyncIterator[App]:
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        configure=lambda c: use_test_embedders(c),
        url_fetch_allowed_networks="127.0.0.1/32",
    ) as app:
        yield app


async def test_documents_belong_to_sources_listed_renamed_and_deleted(app: App, site: str) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs, sources = f"{AGENTS}/{agent_id}/documents", f"{AGENTS}/{agent_id}/sources"
    first = await app.client.post(
        docs, files={"file": ("a.txt", b"Opening hours are nine to five.", "text/plain")}, headers=owner.headers()
    )
    second = await app.client.post(
        docs, json={"title": "Loyalty", "text": "Members earn one point per euro."}, headers=owner.headers()
    )
    page = await app.client.post(docs, json={"url": f"{site}/faq.html"}, headers=owner.headers())
    assert [r.status_code for r in (first, second, page)] == [202, 202, 202], page.text
    await run_worker(app)

    listed = await app.client.get(sources, headers=owner.headers())
    assert listed.status_code == 200, listed.text
    upload, url = listed.json()["data"]
    assert (upload["kind"], upload["name"], upload["documents"], upload["freshness"]) == (
        "upload",
        "Uploaded files and texts",
        2,
        "never_synced",
    )
    assert (url["kind"], url["name"], url["documents"], url["freshness"]) == ("url", f"{site}/faq.html", 1, "fresh")
    assert url["settings"]["url"] == f"{site}/faq.html" and url["schedule"] == "off" and url["last_run"] is None
    assert first.json()["source_id"] == second.json()["source_id"] == upload["id"]
    assert page.json()["source_id"] == url["id"]

    renamed = await app.client.patch(
        f"{sources}/{upload['id']}", json={"name": "  Shop  manuals "}, headers=owner.headers()
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Shop manuals", renamed.text
    got = (await app.client.get(f"{sources}/{upload['id']}", headers=owner.headers())).json()
    assert got["name"] == "Shop manuals" and got["documents"] == 2
    refused = await app.client.patch(
        f"{sources}/{upload['id']}", json={"settings": {"url": "https://example.com"}}, headers=owner.headers()
    )
    problem(refused, 422, "invalid_source_settings")
    problem(
        await app.client.patch(f"{sources}/{upload['id']}", json={"colour": "red"}, headers=owner.headers()),
        422,
        "validation_failed",
    )
    runs = await app.client.get(f"{sources}/{upload['id']}/runs", headers=owner.headers())
    assert runs.status_code == 200 and runs.json() == {"data": []}
    problem(await app.client.get(f"{sources}/src_nope", headers=owner.headers()), 404, "source_not_found")
    problem(
        await app.client.get(f"{sources}/{upload['id']}/runs/run_nope", headers=owner.headers()), 404, "run_not_found"
    )

    # another owner sees none of it
    stranger = await sign_up_and_verify(app, "eve@example.com")
    problem(await app.client.get(f"{sources}/{upload['id']}", headers=stranger.headers()), 404)
    problem(await app.client.delete(f"{sources}/{upload['id']}", headers=stranger.headers()), 404)

    files_before = len(blob_files(app))
    deleted = await app.client.delete(f"{sources}/{upload['id']}", headers=owner.headers())
    assert deleted.status_code == 204, deleted.text
    assert await sql(app, "SELECT id FROM documents ORDER BY id") == [(page.json()["id"],)]
    assert await sql(
        app,
        "SELECT count(*) FROM knowledge_chunks WHERE document_id LIKE %s OR document_id LIKE %s",
        f"{first.json()['id']}/%",
        f"{second.json()['id']}/%",
    ) == [(0,)]
    assert len(blob_files(app)) == files_before - 2
    assert [s["id"] for s in (await app.client.get(sources, headers=owner.headers())).json()["data"]] == [url["id"]]

    # deleting a fetched address's document takes its url source along
    gone = await app.client.delete(f"{docs}/{page.json()['id']}", headers=owner.headers())
    assert gone.status_code == 204
    assert (await app.client.get(sources, headers=owner.headers())).json() == {"data": []}
    assert await sql(app, "SELECT count(*) FROM knowledge_sources") == [(0,)]


async def test_a_website_source_is_created_crawled_synced_and_cancelled_over_http(
    pg_conninfo: str, tmp_path: Path
) -> None:
    from testkit.website import served_website

    with served_website() as website:
        async with serve(
            "postgres",
            tmp_path / "aioomi",
            pg_conninfo,
            configure=lambda c: use_test_embedders(c),
            url_fetch_allowed_networks="127.0.0.1/32",
            url_fetch_timeout_s=3.0,
        ) as app:
            owner, agent_id = await owner_with_agent(app)
            sources = f"{AGENTS}/{agent_id}/sources"
            body = {
                "kind": "sitemap",
                "settings": {"url": f"{website.base}/sitemap.xml", "max_pages": 20, "include_paths": ["/docs/*"]},
            }
            created = await app.client.post(sources, json=body, headers=owner.headers())
            assert created.status_code == 202, created.text
            source = created.json()
            assert created.headers["location"] == f"{sources}/{source['id']}"
            assert (source["kind"], source["name"], source["last_run"]["status"]) == (
                "sitemap",
                f"{website.base}/sitemap.xml",
                "queued",
            )
            busy = await app.client.post(f"{sources}/{source['id']}/sync", headers=owner.headers())
            problem(busy, 409, "source_sync_in_progress")
            await run_worker(app)

            runs = (await app.client.get(f"{sources}/{source['id']}/runs", headers=owner.headers())).json()["data"]
            assert len(runs) == 1 and runs[0]["status"] == "succeeded", runs
            # 20 pages requested (the limit), the rest of the 293 addresses skipped; the promo
            # address matches /docs/* too; /private/secret is outside the include pattern
            assert runs[0]["counts"] == {
                "discovered": 293,
                "fetched": 20,
                "unchanged": 0,
                "updated": 20,
                "failed": 0,
                "skipped": 273,
                "removed": 0,
                "plan_limited": 0,
            }
            assert runs[0]["duration_s"] >= 0
            listed = (await app.client.get(sources, headers=owner.headers())).json()["data"]
            assert [(s["id"], s["documents"], s["freshness"]) for s in listed] == [(source["id"], 20, "fresh")]
            docs = (
                await app.client.get(f"{AGENTS}/{agent_id}/documents", params={"limit": 100}, headers=owner.headers())
            ).json()["data"]
            assert len(docs) == 20 and {d["source_id"] for d in docs} == {source["id"]}
            assert all(d["source_url"].startswith(f"{website.base}/docs/page-") for d in docs)
            assert await sql(app, "SELECT count(*) FROM source_runs") == [(1,)]

            again = await app.client.post(f"{sources}/{source['id']}/sync", headers=owner.headers())
            assert again.status_code == 202 and again.json()["status"] == "queued", again.text
            cancelled = await app.client.post(
                f"{sources}/{source['id']}/runs/{again.json()['id']}/cancel", headers=owner.headers()
            )
            assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
            await run_worker(app)  # the job finds its run cancelled and does nothing
            runs = (await app.client.get(f"{sources}/{source['id']}/runs", headers=owner.headers())).json()["data"]
            assert [r["status"] for r in runs] == ["cancelled", "succeeded"]
            assert runs[0]["counts"]["discovered"] == 0

            bad = await app.client.post(
                sources, json={"kind": "website", "settings": {"url": "ftp://x.example"}}, headers=owner.headers()
            )
            problem(bad, 422, "invalid_source_url")
            too_many = await app.client.post(
                sources,
                json={"kind": "website", "settings": {"url": "https://shop.example.com/", "max_pages": 501}},
                headers=owner.headers(),
            )
            problem(too_many, 422, "invalid_source_settings")
            problem(
                await app.client.post(sources, json={"kind": "upload", "settings": {}}, headers=owner.headers()),
                422,
                "validation_failed",
            )
            uploads = await app.client.post(
                f"{AGENTS}/{agent_id}/documents", json={"text": "Hello there."}, headers=owner.headers()
            )
            problem(
                await app.client.post(f"{sources}/{uploads.json()['source_id']}/sync", headers=owner.headers()),
                422,
                "source_kind_not_allowed",
            )
