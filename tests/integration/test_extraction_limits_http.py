"""A decompression bomb and a PDF over the page limit through the HTTP API and the worker on
Postgres (issue 12, items 2 and 9). The bomb is refused at upload (the type sniffing opens the
archive's directory through the ZIP guard): 422 with its reason, nothing stored, no job. The
long PDF passes the sniffing and ends ``failed`` in the worker with its reason, nothing of it
kept, its job run once and recorded failed (not queued for a retry)."""

from __future__ import annotations

from testkit.documents import blank_pdf, docx_bomb

from tests.integration.test_documents_http import AGENTS, app, blob_files, owner_with_agent, run_worker, sql  # noqa: F401 - fixtures


async def test_a_bomb_is_refused_at_upload_and_storing_nothing(app) -> None:
    owner, agent_id = await owner_with_agent(app)
    response = await app.client.post(
        f"{AGENTS}/{agent_id}/documents",
        files={"file": ("bomb.docx", docx_bomb(), "application/octet-stream")},
        headers=owner.headers(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "extraction_limit_exceeded"
    assert "decompression bomb" in response.json()["detail"]
    listed = (await app.client.get(f"{AGENTS}/{agent_id}/documents", headers=owner.headers())).json()
    assert listed["data"] == []
    assert blob_files(app) == []
    assert await sql(app, "SELECT count(*) FROM jobs WHERE kind = 'documents.ingest'") == [(0,)]


async def test_a_long_pdf_fails_with_its_reason_and_its_job_runs_once(app) -> None:
    owner, agent_id = await owner_with_agent(app)
    docs = f"{AGENTS}/{agent_id}/documents"
    response = await app.client.post(
        docs, files={"file": ("long.pdf", blank_pdf(1_001), "application/octet-stream")}, headers=owner.headers()
    )
    assert response.status_code == 202, response.text
    document_id = response.json()["id"]
    await run_worker(app)
    body = (await app.client.get(f"{docs}/{document_id}", headers=owner.headers())).json()
    assert body["status"] == "failed", body
    assert "The document has 1,001 pages; the limit is 1,000." in body["error"], body
    assert blob_files(app) == []
    jobs = await sql(
        app,
        "SELECT payload->>'document_id', status, attempts, last_error FROM jobs "
        "WHERE kind = 'documents.ingest' ORDER BY created_at",
    )
    assert [(d, status, attempts) for d, status, attempts, _ in jobs] == [(document_id, "failed", 1)]
    assert jobs[0][3].startswith("ExtractionLimitExceeded: ")
    await run_worker(app)
    assert await sql(app, "SELECT count(*) FROM jobs WHERE kind = 'documents.ingest' AND status <> 'failed'") == [(0,)]
