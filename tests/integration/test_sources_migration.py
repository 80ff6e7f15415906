"""Migration 0018 gives every existing document a source: one ``upload`` source per agent for its
files and texts, one ``url`` source per fetched address; the new tables have forced row-level
security."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec
import psycopg
import pytest

from aioomi.adapters.postgres import migrations
from aioomi.adapters.postgres.agents import PostgresAgentRepository
from aioomi.adapters.postgres.documents import PostgresDocumentRepository
from aioomi.adapters.postgres.migrations import shipped_migrations
from aioomi.adapters.postgres.sources import PostgresSourceRepository
from aioomi.domain.model.documents import DocumentSource
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.sources import SourceKind, SourceSettings, SyncSchedule
from tests.contract.test_agent_store_contract import agent
from tests.contract.test_document_store_contract import document

if TYPE_CHECKING:
    from testkit.postgres import TestPostgres

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def empty_database(test_postgres: TestPostgres):
    conninfo = await test_postgres.create_database(migrated=False)
    yield conninfo
    test_postgres.drop_database(conninfo)


async def test_existing_documents_get_an_upload_or_url_source(empty_database: str) -> None:
    before = [m for m in shipped_migrations() if m.version < "0018"]
    sources_migration = next(m for m in shipped_migrations() if m.version == "0018")
    async with await psycopg.AsyncConnection.connect(empty_database, autocommit=True) as conn:
        await conn.execute(migrations._CREATE_TABLE)
        for migration in before:
            async with conn.transaction():
                await conn.execute(migration.sql)
        # The documents as an older version stored them (no source_id column yet).
        acct = new_id("acct")
        first, second = agent(acct), agent(acct)
        docs = [
            document(acct, first.id, created_at=T0, source=DocumentSource.UPLOAD, content_hash="1" * 64),
            document(
                acct, first.id, created_at=T0 + timedelta(hours=1), source=DocumentSource.TEXT, content_hash="2" * 64
            ),
            document(
                acct,
                first.id,
                created_at=T0 + timedelta(hours=2),
                source=DocumentSource.URL,
                source_url="https://shop.example.com/returns",
                content_hash="3" * 64,
                processed_at=T0,
            ),
            document(acct, second.id, created_at=T0, source=DocumentSource.UPLOAD, content_hash="4" * 64),
        ]
        async with conn.transaction():
            await conn.execute("SELECT set_config('aioomi.system', 'on', true)")
            # The account as the older schema stored it (no workspaces yet: those came in 0041).
            await conn.execute(
                "INSERT INTO accounts (id, email, full_name, password_hash, adult_attested_at, "
                "accepted_policy_version, created_at, updated_at) VALUES (%s, %s, 'A', 'x', %s, '2026-02-15', %s, %s)",
                (acct, f"{acct}@example.com", T0, T0, T0),
            )
            await PostgresAgentRepository(conn).add(first)
            await PostgresAgentRepository(conn).add(second)
            for d in docs:
                fields = msgspec.structs.asdict(d)
                del fields["source_id"]
                columns = ", ".join(fields)
                values = [v.value if hasattr(v, "value") else v for v in fields.values()]
                await conn.execute(
                    f"INSERT INTO documents ({columns}) VALUES ({', '.join(['%s'] * len(values))})", values
                )
        async with conn.transaction():
            await conn.execute(sources_migration.sql)
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE aioomi_app")  # the pool's role: no superuser, RLS applies
            await conn.execute("SELECT set_config('aioomi.account_id', %s, true)", (acct,))
            sources, documents = PostgresSourceRepository(conn), PostgresDocumentRepository(conn)
            first_sources = await sources.list_for_agent(acct, first.id)
            assert [(s.kind, s.name) for s in first_sources] == [
                (SourceKind.UPLOAD, "Uploaded files and texts"),
                (SourceKind.URL, "https://shop.example.com/returns"),
            ]
            upload, url = first_sources
            assert all(is_id(s.id, "src") for s in first_sources)
            assert url.settings == SourceSettings(url="https://shop.example.com/returns", max_depth=0)
            assert url.schedule is SyncSchedule.OFF and url.last_synced_at == T0
            assert upload.created_at == T0
            stored = {d.id: d.source_id for d in await documents.list_all(acct, first.id)}
            assert stored == {docs[0].id: upload.id, docs[1].id: upload.id, docs[2].id: url.id}
            [other] = await sources.list_for_agent(acct, second.id)
            assert other.kind is SourceKind.UPLOAD
            assert (await documents.get(acct, docs[3].id)).source_id == other.id
            assert await sources.document_counts(acct, first.id) == {upload.id: 2, url.id: 1}
        async with conn.transaction():
            rows = await (
                await conn.execute(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relname IN ('knowledge_sources', 'source_runs') ORDER BY relname"
                )
            ).fetchall()
            assert rows == [("knowledge_sources", True, True), ("source_runs", True, True)]
            await conn.execute("SET LOCAL ROLE aioomi_app")
            await conn.execute("SELECT set_config('aioomi.account_id', 'acct_someone_else', true)")
            assert (await (await conn.execute("SELECT count(*) FROM knowledge_sources")).fetchone())[0] == 0
