"""An Excel workbook uploaded through the HTTP API and read by the worker (issue 18, "More file
types"): ready, of kind ``xlsx``, titled from the workbook's properties, its sheets searchable;
an image under a spreadsheet's name refused at once with the accepted types named, and a
workbook bomb refused with ``extraction_limit_exceeded``; a deck and a book imported by URL."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from testkit.documents import epub_bytes, pptx_bytes, xlsx_bytes, zip_bomb

from tests.integration.accounts_support import App, problem, serve
from tests.integration.test_documents_http import AGENTS, owner_with_agent, run_worker
from tests.unit.knowledge_support import use_test_embedders

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.fixture(params=["memory", "postgres"])
async def app(request: pytest.FixtureRequest, tmp_path: Path, pg_conninfo: str) -> AsyncIterator[App]:
    conninfo = pg_conninfo if request.param == "postgres" else None
    async with serve(request.param, tmp_path / "aioomi", conninfo, configure=lambda c: use_test_embedders(c)) as app:
        yield app


async def test_a_workbook_upload_becomes_a_ready_searchable_document_titled_from_its_properties(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    response = await app.client.post(docs, files={"file": ("prices.xlsx", xlsx_bytes(), XLSX)}, headers=owner.headers())
    assert response.status_code == 202, response.text
    assert response.json()["title"] == "Prices"  # from the file name until the worker reads the file
    document_id = response.json()["id"]

    await run_worker(app)

    body = (await app.client.get(f"{docs}/{document_id}", headers=owner.headers())).json()
    assert (body["status"], body["kind"], body["title"], body["error"]) == ("ready", "xlsx", "Price list", None), body
    text = (await app.client.get(f"{docs}/{document_id}/text", headers=owner.headers())).json()["text"]
    assert "# Opening hours\n\n| Day | Opens | Closes |\n|---|---|---|\n| Monday | 9:00 | 17:00 |" in text
    search = await app.client.post(
        f"{AGENTS}/{agent_id}/search", json={"query": "gift wrap fee", "min_relevance": 0.0}, headers=owner.headers()
    )
    assert search.status_code == 200, search.text
    assert {hit["document"]["title"] for hit in search.json()["data"]} == {"Price list"}


async def test_an_image_named_xlsx_and_a_workbook_bomb_are_refused_at_upload(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    image = await app.client.post(
        docs, files={"file": ("prices.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64), XLSX)}, headers=owner.headers()
    )
    assert problem(image, 415, "document_type_unsupported")["detail"] == (
        "This file looks like a PNG image, which cannot be read; upload plain text, Markdown, HTML, PDF, "
        "Word (.docx), Excel (.xlsx), PowerPoint (.pptx), EPUB or CSV."
    )
    bomb = zip_bomb(xlsx_bytes(), "xl/worksheets/sheet1.xml")
    refused = await app.client.post(docs, files={"file": ("bomb.xlsx", bomb, XLSX)}, headers=owner.headers())
    assert "decompression bomb" in problem(refused, 422, "extraction_limit_exceeded")["detail"]
    listed = (await app.client.get(docs, headers=owner.headers())).json()
    assert listed["data"] == []


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, ctype = {"/deck.pptx": (pptx_bytes(), PPTX), "/book.epub": (epub_bytes(), "application/epub+zip")}.get(
            self.path, (b"missing", "text/plain")
        )
        self.send_response(200 if ctype != "text/plain" else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


async def test_a_deck_and_a_book_are_imported_from_their_addresses(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        async with serve(
            "memory",
            tmp_path / "aioomi",
            configure=lambda c: use_test_embedders(c),
            url_fetch_allowed_networks="127.0.0.1/32",
        ) as app:
            owner, agent_id = await owner_with_agent(app)
            docs = f"{AGENTS}/{agent_id}/documents"
            ids = {}
            for name in ("deck.pptx", "book.epub"):
                response = await app.client.post(docs, json={"url": f"{site}/{name}"}, headers=owner.headers())
                assert response.status_code == 202, response.text
                ids[name] = response.json()["id"]
            await run_worker(app)
            for name, kind, title, phrase in [
                ("deck.pptx", "pptx", "Onboarding", "Speaker notes: Mention the receipt."),
                ("book.epub", "epub", "The Tea Book", "# Brewing"),
            ]:
                body = (await app.client.get(f"{docs}/{ids[name]}", headers=owner.headers())).json()
                assert (body["status"], body["kind"], body["title"]) == ("ready", kind, title), body
                text = (await app.client.get(f"{docs}/{ids[name]}/text", headers=owner.headers())).json()["text"]
                assert phrase in text
    finally:
        server.shutdown()
