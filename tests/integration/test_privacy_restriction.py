"""Restriction (Art. 18) and objection (Art. 21) over HTTP on Postgres, with the real worker and
the OpenAI SDK against the fake server: a restricted owner's upload stays queued and reaches no
embedder until the restriction is lifted; an objecting owner's requests are logged without
account or IP from the next request on, with no sweep in between."""

from __future__ import annotations

from pathlib import Path

import psycopg

from aioomi.container import start, stop
from aioomi.entrypoints.worker.jobs import build_worker
from tests.fakes.openai_fixtures import ServedFakeOpenAI
from tests.integration.accounts_support import App, build_container, serve, sign_up_and_verify


async def run_worker(app: App) -> None:
    """The worker in a container of its own, as in production."""
    container = build_container("postgres", app.settings, app.conninfo)
    await start(container)
    try:
        await build_worker(container).run_until_idle()
    finally:
        await stop(container)


async def test_a_restricted_owners_upload_waits_unembedded_until_the_restriction_is_lifted(
    pg_conninfo: str, tmp_path: Path, fake_openai: ServedFakeOpenAI
) -> None:
    async with serve(
        "postgres", tmp_path / "aioomi", pg_conninfo, openai_api_key="sk-test", openai_base_url=fake_openai.base_url
    ) as app:
        owner = await sign_up_and_verify(app, "restricted@example.com")
        headers = owner.headers()
        agent = (await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=headers)).json()
        restricted = await app.client.put("/api/v1/account/privacy/restriction", headers=headers)
        assert restricted.status_code == 200, restricted.text
        uploaded = await app.client.post(
            f"/api/v1/agents/{agent['id']}/documents",
            json={"text": "# Hours\n\nOpen nine to five.", "title": "Hours"},
            headers=headers,
        )
        assert uploaded.status_code == 202, uploaded.text
        document = f"/api/v1/agents/{agent['id']}/documents/{uploaded.json()['id']}"

        await run_worker(app)
        await run_worker(app)  # however often the worker runs
        assert (await app.client.get(document, headers=headers)).json()["status"] == "queued"
        assert fake_openai.fake.calls("/v1/embeddings") == []
        assert await app.count("knowledge_chunks") == 0

        lifted = await app.client.delete("/api/v1/account/privacy/restriction", headers=headers)
        assert lifted.status_code in (200, 204), lifted.text
        await run_worker(app)
        assert (await app.client.get(document, headers=headers)).json()["status"] == "ready"
        assert len(fake_openai.fake.calls("/v1/embeddings")) >= 1
        assert await app.count("knowledge_chunks") >= 1


async def test_after_an_objection_the_next_requests_are_logged_without_account_or_ip(
    pg_conninfo: str, tmp_path: Path
) -> None:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
        owner = await sign_up_and_verify(app, "objector@example.com")
        other = await sign_up_and_verify(app, "other@example.com")
        writer = app.client.app.state.request_log_writer
        assert (await app.client.get("/api/v1/agents", headers=owner.headers())).status_code == 200
        await writer.flush()
        objected = await app.client.put("/api/v1/account/privacy/objection", headers=owner.headers())
        assert objected.status_code == 200, objected.text
        await writer.flush()
        for _ in range(3):
            assert (await app.client.get("/api/v1/agents", headers=owner.headers())).status_code == 200
        assert (await app.client.get("/api/v1/agents", headers=other.headers())).status_code == 200
        await writer.flush()  # no sweep runs in this test
        async with await psycopg.AsyncConnection.connect(pg_conninfo, autocommit=True) as conn:
            named = await (
                await conn.execute("SELECT count(*) FROM api_request_log WHERE account_id = %s", (owner.account_id,))
            ).fetchone()
            anonymous = await (
                await conn.execute(
                    "SELECT count(*) FROM api_request_log WHERE route = '/api/v1/agents' AND account_id IS NULL "
                    "AND ip IS NULL"
                )
            ).fetchone()
            others = await (
                await conn.execute(
                    "SELECT count(*) FROM api_request_log WHERE account_id = %s AND ip IS NOT NULL", (other.account_id,)
                )
            ).fetchone()
        # The one request before the objection was anonymised when it was made; the three after
        # were written anonymous; the other owner's are kept as they are.
        assert named == (0,)
        assert anonymous == (4,)
        assert others is not None and others[0] >= 1
