"""A decompression bomb and a PDF over the page limit through the HTTP API and the worker on
Postgres (issue 12, items 2 and 9): each ends ``failed`` with its reason, nothing of it is
kept, and its job ran once and is recorded failed (not queued for a retry)."""

from __future__ import annotations

from tests.integration.test_documents_http import AGENTS, app, blob_files, owner_with_agent, run_worker, sql  # noqa: F401
from tests.unit.documents import blank_pdf, docx_bomb


async def test_a_bomb_and_a_long_pdf_fail_with_their_reason_and_their_jobs_run_once(app) -> None:  # noqa: ANN001, F811
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    uploads = {
        "bomb.docx": (docx_bomb(), "decompression bomb"),
        "long.pdf": (blank_pdf(1_001), "The document has 1,001 pages; the limit is 1,000."),
    }
    ids = {}
    for name, (data, _) in uploads.items():
        response = await app.client.post(docs, files={"file": (name, data, "application/octet-stream")},
                                         headers=owner.headers())
        assert response.status_code == 202, response.text
        ids[name] = response.json()["id"]
    await run_worker(app)
    for name, (_, reason) in uploads.items():
        body = (await app.client.get(f"{docs}/{ids[name]}", headers=owner.headers())).json()
        assert body["status"] == "failed" and reason in body["error"], (name, body)
    assert blob_files(app) == []
    jobs = await sql(app, "SELECT payload->>'document_id', status, attempts, last_error FROM jobs "
                          "WHERE kind = 'documents.ingest' ORDER BY created_at")
    assert sorted((document_id, status, attempts) for document_id, status, attempts, _ in jobs) == sorted(
        (ids[name], "failed", 1) for name in uploads)
    assert all(error.startswith("ExtractionLimitExceeded: ") for *_, error in jobs)
    await run_worker(app)
    assert await sql(app, "SELECT count(*) FROM jobs WHERE kind = 'documents.ingest' AND status <> 'failed'") == [(0,)]
