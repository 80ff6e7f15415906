"""Ingestion survives a worker killed mid-job: two `aioomi worker` processes on one database,
the embedding API (the fake OpenAI server) hangs on the first request, the worker holding the
job is killed with SIGKILL, and the other finishes the document after the lease, with the
right number of chunks, written once, never half visible."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psycopg

from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.container import container_on_postgres, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.documents import DocumentSource, DocumentStatus, DocumentUpload
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import DocumentKind, ExtractedText
from aioomi.settings import Settings
from tests.contract.test_agent_store_contract import account
from tests.fakes.openai_fixtures import ServedFakeOpenAI
from tests.integration.processes import AIOOMI, clean_env, database_url, eventually, processes, wait_for

TEXT = "\n".join(
    f"# Chapter {i}\n\n" + " ".join(f"Chapter {i} line {j} explains step {j} of the procedure." for j in range(40))
    for i in range(4)
)


async def _sql(conninfo: str, query: str, *params: object) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        return await (await conn.execute(query, params)).fetchall()


async def test_a_worker_killed_mid_ingestion_leaves_the_document_to_another_which_writes_it_once(
    pg_conninfo: str, tmp_path: Path, fake_openai: ServedFakeOpenAI
) -> None:
    data_dir = tmp_path / "aioomi"
    settings = Settings(
        data_dir=str(data_dir), log_format="console", openai_api_key="sk-test", openai_base_url=fake_openai.base_url
    )
    container = container_on_postgres(settings=settings, conninfo=pg_conninfo)
    await start(container)
    try:
        account_id = new_id("acct")
        async with container.uow()(account_id=None) as uow:
            await uow.accounts.add(account(account_id))
            await uow.commit()
        principal = Principal.own(account_id=account_id)
        agent = await container.create_agent()(principal, AgentSettings(name="Manual"))
        assert agent.embedding_model == "text-embedding-3-small"
        expected = len(MarkdownChunker().chunk(ExtractedText(kind=DocumentKind.MARKDOWN, text=TEXT)))
        assert expected >= 3

        fake_openai.fake.hang_next(1, 120)  # the first embedding request never answers in time
        env = clean_env(
            DATABASE_URL=database_url(pg_conninfo),
            OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=fake_openai.base_url,
            AIOOMI_DATA_DIR=str(data_dir),
            AIOOMI_WORKER_LEASE_S="2",
            AIOOMI_WORKER_POLL_S="0.2",
            AIOOMI_LOG_FORMAT="console",
        )
        with processes(tmp_path) as spawn:
            workers = [spawn([*AIOOMI, "worker"], env=env, name=f"worker{i}") for i in (1, 2)]
            for worker in workers:
                wait_for(
                    lambda w=worker: "worker started" in w.stdout + w.stderr,
                    timeout=60,
                    what=f"{worker.describe()} to start",
                )
            document, _ = await container.add_document()(
                principal,
                agent.id,
                DocumentUpload(
                    data=TEXT.encode(),
                    title="Manual",
                    filename="text.md",
                    content_type="text/markdown",
                    source=DocumentSource.TEXT,
                ),
            )
            await eventually(
                lambda: _async(len(fake_openai.fake.calls()) >= 1), timeout=30, what="the first embedding request"
            )
            (holder,) = await _sql(
                pg_conninfo, "SELECT locked_by FROM jobs WHERE kind = 'documents.ingest' AND status = 'running'"
            )
            victim = next(w for w in workers if w.pid == int(holder[0].split(":")[1]))
            survivor = next(w for w in workers if w is not victim)
            middle = await container.get_document()(principal, agent.id, document.id)
            assert middle.status == DocumentStatus.PROCESSING and middle.progress_total == expected
            os.kill(victim.pid, signal.SIGKILL)
            assert victim.wait(timeout=10) == -signal.SIGKILL
            assert await container.chunk_store().count(account_id=account_id, agent_id=agent.id) == 0, (
                "nothing is visible before the document is complete"
            )

            async def ready() -> bool:
                current = await container.get_document()(principal, agent.id, document.id)
                return current.status == DocumentStatus.READY

            await eventually(ready, timeout=30, what="the survivor to finish the document")
            survivor.signal(signal.SIGTERM)
            assert survivor.wait(timeout=15) == 0, survivor.describe()

        done = await container.get_document()(principal, agent.id, document.id)
        assert (done.chunk_count, done.progress_done, done.progress_total) == (expected,) * 3
        rows = await _sql(
            pg_conninfo,
            "SELECT count(*), count(DISTINCT position) FROM knowledge_chunks WHERE account_id = %s",
            account_id,
        )
        assert rows == [(expected, expected)], "every chunk once"
        assert await _sql(
            pg_conninfo, "SELECT chunk_count FROM knowledge_index_stats WHERE account_id = %s", account_id
        ) == [(expected,)]
        jobs = await _sql(pg_conninfo, "SELECT status, attempts FROM jobs WHERE kind = 'documents.ingest'")
        assert jobs == [("done", 2)]
        answered = [c for c in fake_openai.fake.calls() if c.answered == 200]
        assert sum(c.inputs for c in answered) == expected, "the survivor embedded each chunk once"
        # The fake OpenAI's vectors are random, so no passage would pass a calibrated relevance gate:
        # the search is asked with the gate open (what is checked here is that the chunks are found).
        hits = await container.search_knowledge()(account_id, agent.id, "step 7 of the procedure", min_relevance=0.0)
        assert hits and hits[0].document_id == document.id
    finally:
        await stop(container)


async def _async(value: bool) -> bool:
    return value
