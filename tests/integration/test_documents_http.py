"""The documents API over HTTP on Postgres, with the real worker: every upload format, raw text
and a URL from a local server (refused as loopback by default, fetched when allowed), limits,
duplicates and Idempotency-Key, status progression, failures with a reason, deletion of the
document and of the agent, search, and isolation between accounts."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from testkit.documents import docx_bytes, pdf_bytes

from aioomi.entrypoints.worker.jobs import build_worker
from tests.integration.accounts_support import App, Owner, problem, serve, sign_up_and_verify
from tests.unit.knowledge_support import use_test_embedders

AGENTS = "/api/v1/agents"

FILES: dict[str, tuple[bytes, str, str, str]] = {
    # name: (content, declared content type, expected kind, a phrase of its text)
    "notes.txt": (b"Opening hours: the shop opens at nine every morning.\n", "text/plain", "text", "opens at nine"),
    "guide.md": (
        b"# Warranty\n\nEvery kettle carries a two-year warranty.\n",
        "text/markdown",
        "markdown",
        "two-year warranty",
    ),
    "page.html": (
        b"<html><head><title>Delivery</title></head><body><h1>Delivery</h1>"
        b"<p>Couriers deliver parcels to lockers overnight.</p></body></html>",
        "text/html",
        "html",
        "lockers overnight",
    ),
    "manual.pdf": (
        pdf_bytes(["Descaling", "Descale the espresso machine monthly with citric acid."]),
        "application/pdf",
        "pdf",
        "citric acid",
    ),
    "handbook.docx": (docx_bytes(), "application/octet-stream", "docx", "thirty days"),
    "prices.csv": (b"service,fee\nexpress shipping,9 EUR\ngift wrapping,2 EUR\n", "text/csv", "csv", "gift wrapping"),
}


# The title of an upload without one: its file name made readable (the worker may replace it
# with the title the file holds).
READABLE = {
    "notes.txt": "Notes",
    "guide.md": "Guide",
    "page.html": "Page",
    "manual.pdf": "Manual",
    "handbook.docx": "Handbook",
    "prices.csv": "Prices",
}


class _Site(BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}

    def do_GET(self) -> None:
        status, ctype, body, headers = self.pages.get(self.path, (404, "text/plain", b"missing", {}))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """A web server on 127.0.0.1 with a page, a redirect to a private address and an image."""
    _Site.pages = {
        "/faq.html": (
            200,
            "text/html; charset=utf-8",
            b"<html><body><h1>FAQ</h1><p>Gift cards never expire and work in every store.</p></body></html>",
            {},
        ),
        "/to-private": (302, "text/plain", b"", {"Location": "http://10.20.30.40/internal"}),
        "/hop": (301, "text/plain", b"", {"Location": "/faq.html"}),
        "/logo.png": (200, "image/png", b"\x89PNG....", {}),
        "/big.txt": (200, "text/plain", b"x" * 50_000, {}),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path) -> AsyncIterator[App]:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo, configure=lambda c: use_test_embedders(c)) as app:
        yield app


async def owner_with_agent(app: App, email: str = "ada@example.com") -> tuple[Owner, str]:
    owner = await sign_up_and_verify(app, email)
    response = await app.client.post(AGENTS, json={"name": "Shop helper"}, headers=owner.headers())
    assert response.status_code == 201, response.text
    return owner, response.json()["id"]


async def run_worker(app: App) -> None:
    await build_worker(app.container).run_until_idle()


async def sql(app: App, query: str, *params: Any) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
        return await (await conn.execute(query, params)).fetchall()


def blob_files(app: App) -> list[Path]:
    root = app.settings.blobs_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_every_format_and_raw_text_become_ready_and_searchable(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    ids = {}
    for name, (content, ctype, _, _) in FILES.items():
        response = await app.client.post(docs, files={"file": (name, content, ctype)}, headers=owner.headers())
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "queued" and body["title"] == READABLE[name] and body["source"] == "upload"
        assert response.headers["location"] == f"{docs}/{body['id']}"
        ids[name] = body["id"]
    response = await app.client.post(
        docs, json={"title": "Loyalty", "text": "Members earn one point per euro."}, headers=owner.headers()
    )
    assert response.status_code == 202 and response.json()["source"] == "text"
    ids["loyalty"] = response.json()["id"]
    assert (await app.client.get(f"{docs}/{ids['loyalty']}", headers=owner.headers())).json()["status"] == "queued"

    await run_worker(app)

    for name, (_, _, kind, phrase) in FILES.items():
        body = (await app.client.get(f"{docs}/{ids[name]}", headers=owner.headers())).json()
        assert (body["status"], body["kind"], body["error"]) == ("ready", kind, None), body
        assert body["chunks"] >= 1 and body["progress"] == {"done": body["chunks"], "total": body["chunks"]}
        assert body["embedding_model"] == "test-embedder-a"
        # The title the file holds replaces the one made from its name: the HTML <title>, the
        # DOCX core title ("Shop handbook"); the others have none.
        assert body["title"] == {"page.html": "Delivery", "handbook.docx": "Shop handbook"}.get(name, READABLE[name])
        text = await app.client.get(f"{docs}/{ids[name]}/text", headers=owner.headers())
        assert text.status_code == 200 and phrase in text.json()["text"], (name, text.json())
    listed = (await app.client.get(docs, params={"limit": 5}, headers=owner.headers())).json()
    assert len(listed["data"]) == 5 and listed["next_cursor"]
    rest = (await app.client.get(docs, params={"cursor": listed["next_cursor"]}, headers=owner.headers())).json()
    assert {d["id"] for d in listed["data"] + rest["data"]} == set(ids.values()) and rest["next_cursor"] is None

    # The test embedder is not calibrated: no relevance gate here (min_relevance 0).
    search = await app.client.post(
        f"{AGENTS}/{agent_id}/search",
        json={"query": "how often should I descale?", "min_relevance": 0.0},
        headers=owner.headers(),
    )
    assert search.status_code == 200, search.text
    top = search.json()["data"][0]
    assert top["document"] == {"id": ids["manual.pdf"], "title": "Manual"}
    assert 0.0 <= top["relevance"] <= 1.0
    assert top["position"] == 0 and top["score"] > 0 and "citric" in top["text"]
    rows = await sql(app, "SELECT count(*) FROM knowledge_chunks WHERE document_id LIKE %s", f"{ids['manual.pdf']}/%")
    assert rows[0][0] == 1


async def test_limits_duplicates_and_idempotency(pg_conninfo: str, tmp_path: Path) -> None:
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        configure=lambda c: use_test_embedders(c),
        document_max_bytes=2_000,
        agent_max_documents=2,
    ) as app:
        owner, agent_id = await owner_with_agent(app)
        docs = f"{AGENTS}/{agent_id}/documents"
        too_big = await app.client.post(
            docs, files={"file": ("big.txt", b"word " * 1_000, "text/plain")}, headers=owner.headers()
        )
        assert "2,000" in problem(too_big, 413, "document_too_large")["detail"]
        assert await sql(app, "SELECT count(*) FROM documents") == [(0,)] and blob_files(app) == []

        first = await app.client.post(
            docs,
            json={"text": "Returns within thirty days."},
            headers=owner.headers() | {"Idempotency-Key": "upload-1"},
        )
        retried = await app.client.post(
            docs,
            json={"text": "Returns within thirty days."},
            headers=owner.headers() | {"Idempotency-Key": "upload-1"},
        )
        assert (first.status_code, retried.status_code) == (202, 200) and first.json()["id"] == retried.json()["id"]
        reused = await app.client.post(
            docs, json={"text": "Something else."}, headers=owner.headers() | {"Idempotency-Key": "upload-1"}
        )
        problem(reused, 409, "idempotency_key_reused")
        duplicate = await app.client.post(
            docs, files={"file": ("again.md", b"Returns within thirty days.", "text/plain")}, headers=owner.headers()
        )
        assert duplicate.status_code == 200 and duplicate.json()["id"] == first.json()["id"]

        second = await app.client.post(docs, json={"text": "Shipping takes three days."}, headers=owner.headers())
        assert second.status_code == 202
        third = await app.client.post(docs, json={"text": "A third document."}, headers=owner.headers())
        problem(third, 422, "too_many_documents")
        assert await sql(app, "SELECT count(*) FROM documents") == [(2,)] and len(blob_files(app)) == 2

        problem(await app.client.post(docs, json={"title": "No text"}, headers=owner.headers()), 422)
        problem(
            await app.client.post(docs, content=b"plain", headers=owner.headers() | {"content-type": "text/plain"}), 415
        )


async def test_a_corrupt_file_fails_with_a_reason_and_nothing_stays(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    response = await app.client.post(
        docs, files={"file": ("scan.pdf", b"%PDF-1.4 garbage", "application/pdf")}, headers=owner.headers()
    )
    document_id = response.json()["id"]
    await run_worker(app)
    body = (await app.client.get(f"{docs}/{document_id}", headers=owner.headers())).json()
    assert body["status"] == "failed" and "damaged" in body["error"]
    problem(await app.client.get(f"{docs}/{document_id}/text", headers=owner.headers()), 409, "document_not_ready")
    assert blob_files(app) == []


async def test_deleting_a_document_and_the_agent_removes_everything(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    ids = []
    for text in ("Returns within thirty days.", "Shipping takes three days."):
        ids.append((await app.client.post(docs, json={"text": text}, headers=owner.headers())).json()["id"])
    await run_worker(app)
    assert await sql(app, "SELECT count(*) FROM knowledge_chunks") == [(2,)] and len(blob_files(app)) == 2

    assert (await app.client.delete(f"{docs}/{ids[0]}", headers=owner.headers())).status_code == 204
    problem(await app.client.get(f"{docs}/{ids[0]}", headers=owner.headers()), 404, "document_not_found")
    assert await sql(app, "SELECT document_id FROM knowledge_chunks") == [(f"{ids[1]}/test-embedder-a",)]
    assert await sql(app, "SELECT count(*) FROM document_texts") == [(1,)] and len(blob_files(app)) == 1

    assert (await app.client.delete(f"{AGENTS}/{agent_id}", headers=owner.headers())).status_code == 204
    for table in ("documents", "document_texts", "knowledge_chunks", "knowledge_postings", "knowledge_bases"):
        assert await sql(app, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert blob_files(app) == []


async def test_another_account_gets_404_everywhere(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    document_id = (await app.client.post(docs, json={"text": "Secret recipe."}, headers=owner.headers())).json()["id"]
    await run_worker(app)
    intruder, own_agent = await owner_with_agent(app, "eve@example.com")
    h = intruder.headers()
    problem(await app.client.get(docs, headers=h), 404, "agent_not_found")
    problem(await app.client.get(f"{docs}/{document_id}", headers=h), 404)
    problem(await app.client.get(f"{docs}/{document_id}/text", headers=h), 404)
    problem(await app.client.delete(f"{docs}/{document_id}", headers=h), 404)
    problem(await app.client.post(docs, json={"text": "x"}, headers=h), 404)
    problem(await app.client.post(f"{AGENTS}/{agent_id}/search", json={"query": "recipe"}, headers=h), 404)
    problem(await app.client.get(f"{AGENTS}/{own_agent}/documents/{document_id}", headers=h), 404, "document_not_found")
    assert (await app.client.get(f"{docs}/{document_id}", headers=owner.headers())).status_code == 200


async def test_a_url_on_loopback_is_refused_by_default(app: App, site: str) -> None:
    owner, agent_id = await owner_with_agent(app)
    response = await app.client.post(
        f"{AGENTS}/{agent_id}/documents", json={"url": f"{site}/faq.html"}, headers=owner.headers()
    )
    detail = problem(response, 422, "url_not_allowed")["detail"]
    assert detail == "This address cannot be fetched: only public web addresses (http:// or https://) can be imported."
    assert "127.0.0.1" not in detail and "loopback" not in detail
    response = await app.client.post(
        f"{AGENTS}/{agent_id}/documents", json={"url": "file:///etc/passwd"}, headers=owner.headers()
    )
    problem(response, 422)
    assert await sql(app, "SELECT count(*) FROM documents") == [(0,)]


async def test_a_url_is_fetched_when_its_network_is_allowed_and_every_hop_is_checked(
    pg_conninfo: str, tmp_path: Path, site: str
) -> None:
    async with serve(
        "postgres",
        tmp_path / "aioomi",
        pg_conninfo,
        configure=lambda c: use_test_embedders(c),
        url_fetch_allowed_networks="127.0.0.1/32",
        document_max_bytes=10_000,
    ) as app:
        owner, agent_id = await owner_with_agent(app)
        docs = f"{AGENTS}/{agent_id}/documents"
        response = await app.client.post(docs, json={"url": f"{site}/hop", "title": "FAQ"}, headers=owner.headers())
        assert response.status_code == 202, response.text
        body = response.json()
        assert (body["source"], body["source_url"], body["title"]) == ("url", f"{site}/hop", "FAQ")
        await run_worker(app)
        text = (await app.client.get(f"{docs}/{body['id']}/text", headers=owner.headers())).json()["text"]
        assert "Gift cards never expire" in text

        private = await app.client.post(docs, json={"url": f"{site}/to-private"}, headers=owner.headers())
        assert "10.20.30.40" not in problem(private, 422, "url_not_allowed")["detail"]  # no internal address
        image = await app.client.post(docs, json={"url": f"{site}/logo.png"}, headers=owner.headers())
        assert "image/png" in problem(image, 422, "url_fetch_failed")["detail"]
        big = await app.client.post(docs, json={"url": f"{site}/big.txt"}, headers=owner.headers())
        problem(big, 413, "document_too_large")
        assert await sql(app, "SELECT count(*) FROM documents") == [(1,)]


async def test_replacing_over_http_and_changing_the_embedding_model(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    document_id = (
        await app.client.post(docs, json={"text": "# A\n\nApples are red."}, headers=owner.headers())
    ).json()["id"]
    await run_worker(app)
    replaced = await app.client.put(
        f"{docs}/{document_id}", json={"text": "# A\n\nApples are green."}, headers=owner.headers()
    )
    assert replaced.status_code == 202 and replaced.json()["version"] == 2 and replaced.json()["status"] == "queued"
    await run_worker(app)
    assert "green" in (await app.client.get(f"{docs}/{document_id}/text", headers=owner.headers())).json()["text"]

    knowledge = f"{AGENTS}/{agent_id}/knowledge"
    problem(
        await app.client.put(f"{knowledge}/embedding-model", json={"model": "nope"}, headers=owner.headers()),
        422,
        "embedding_model_unavailable",
    )
    changed = await app.client.put(
        f"{knowledge}/embedding-model", json={"model": "test-embedder-b"}, headers=owner.headers()
    )
    assert changed.status_code == 202
    assert (changed.json()["embedding_model"], changed.json()["pending_embedding_model"]) == (
        "test-embedder-a",
        "test-embedder-b",
    )
    await run_worker(app)
    body = (await app.client.get(knowledge, headers=owner.headers())).json()
    assert (body["embedding_model"], body["pending_embedding_model"], body["documents"]) == ("test-embedder-b", None, 1)
    assert await sql(app, "SELECT document_id, embedding_model FROM knowledge_chunks") == [
        (f"{document_id}/test-embedder-b", "test-embedder-b")
    ]
    hits = (
        await app.client.post(f"{AGENTS}/{agent_id}/search", json={"query": "green apples"}, headers=owner.headers())
    ).json()["data"]
    assert [h["document"]["id"] for h in hits] == [document_id]


async def test_renaming_a_document_reindexes_it_under_the_new_title(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    created = await app.client.post(
        docs, json={"title": "Notes", "text": "Employees stay home sixteen weeks."}, headers=owner.headers()
    )
    doc_id = created.json()["id"]
    await run_worker(app)

    renamed = await app.client.patch(f"{docs}/{doc_id}", json={"title": "  Parental   leave "}, headers=owner.headers())
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Parental leave"
    await run_worker(app)  # the re-index job

    rows = await sql(app, "SELECT title FROM knowledge_chunks WHERE document_id LIKE %s", f"{doc_id}/%")
    assert rows == [("Parental leave",)]
    found = await app.client.post(
        f"{AGENTS}/{agent_id}/search", json={"query": "parental", "min_relevance": 0.0}, headers=owner.headers()
    )
    assert [h["document"] for h in found.json()["data"]] == [{"id": doc_id, "title": "Parental leave"}]

    for bad in ({"title": "   "}, {"title": "x" * 301}, {"title": "a\u0007b"}):
        refused = await app.client.patch(f"{docs}/{doc_id}", json=bad, headers=owner.headers())
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_title", refused.text
    unknown = await app.client.patch(f"{docs}/doc_{'a' * 26}", json={"title": "X"}, headers=owner.headers())
    assert unknown.status_code == 404
