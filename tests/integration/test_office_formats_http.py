"""An Excel workbook uploaded through the HTTP API and read by the worker (issue 18, "More file
types"): ready, of kind ``xlsx``, titled from the workbook's properties, its sheets searchable;
an image under a spreadsheet's name refused at once with the accepted types named, and a
workbook bomb refused with ``extraction_limit_exceeded``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.accounts_support import App, problem, serve
from tests.integration.test_documents_http import AGENTS, owner_with_agent, run_worker
from tests.unit.documents import xlsx_bytes, zip_bomb
from tests.unit.knowledge_support import use_test_embedders

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(params=["memory", "postgres"])
async def app(request: pytest.FixtureRequest, tmp_path: Path, pg_conninfo: str) -> AsyncIterator[App]:
    conninfo = pg_conninfo if request.param == "postgres" else None
    async with serve(request.param, tmp_path / "aioomi", conninfo, configure=lambda c: use_test_embedders(c)) as app:
        yield app


# documents.kind's CHECK constraint (migration 0007) allows only the first six kinds: the lead
# adds the migration that widens it (its number is the lead's to give); this marker comes off then.
KIND_CHECK_NOT_WIDENED = pytest.mark.xfail(
    strict=True, reason="documents_kind_check needs a migration to allow 'xlsx', 'pptx' and 'epub'"
)


async def test_a_workbook_upload_becomes_a_ready_searchable_document_titled_from_its_properties(
    app: App, request: pytest.FixtureRequest
) -> None:
    if app.backend == "postgres":
        request.node.add_marker(KIND_CHECK_NOT_WIDENED)
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
    search = await app.client.post(f"{AGENTS}/{agent_id}/search", json={"query": "gift wrap fee", "min_relevance": 0.0},
                                   headers=owner.headers())
    assert search.status_code == 200, search.text
    assert {hit["document"]["title"] for hit in search.json()["data"]} == {"Price list"}


async def test_an_image_named_xlsx_and_a_workbook_bomb_are_refused_at_upload(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    image = await app.client.post(docs, files={"file": ("prices.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64), XLSX)},
                                  headers=owner.headers())
    assert problem(image, 415, "document_type_unsupported")["detail"] == (
        "This file looks like a PNG image, which cannot be read; upload plain text, Markdown, HTML, PDF, "
        "Word (.docx), Excel (.xlsx), PowerPoint (.pptx), EPUB or CSV."
    )
    bomb = zip_bomb(xlsx_bytes(), "xl/worksheets/sheet1.xml")
    refused = await app.client.post(docs, files={"file": ("bomb.xlsx", bomb, XLSX)}, headers=owner.headers())
    assert "decompression bomb" in problem(refused, 422, "extraction_limit_exceeded")["detail"]
    listed = (await app.client.get(docs, headers=owner.headers())).json()
    assert listed["data"] == []
