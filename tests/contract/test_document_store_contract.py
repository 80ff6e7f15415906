"""The DocumentRepository contract, on memory and on Postgres: documents, their texts and the
knowledge-base state round-trip, pages, look-ups by hash and idempotency key, totals, deletion
(with the text), and isolation between accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from aioomi.domain.model.documents import (
    Document,
    DocumentSource,
    DocumentStatus,
    KnowledgeBase,
    KnowledgeBaseTotals,
)
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.knowledge import DocumentKind
from aioomi.domain.model.pagination import PageKey
from tests.contract.test_agent_store_contract import account, agent

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def owners(container) -> list[tuple[str, str]]:
    """Two (account, agent) pairs, stored."""
    pairs = []
    for _ in range(2):
        account_id = new_id("acct")
        a = agent(account_id)
        async with container.uow()(account_id=None) as uow:
            await uow.accounts.add(account(account_id))
            await uow.commit()
        async with container.uow()(account_id=account_id) as uow:
            await uow.agents.add(a)
            await uow.commit()
        pairs.append((account_id, a.id))
    return pairs


def document(account_id: str, agent_id: str, *, created_at: datetime = T0, **fields: object) -> Document:
    base = Document(
        id=new_id("doc"),
        account_id=account_id,
        agent_id=agent_id,
        title="Returns policy",
        source=DocumentSource.UPLOAD,
        status=DocumentStatus.QUEUED,
        content_hash="a" * 64,
        blob_key=f"{account_id}/{agent_id}/x/v1",
        size_bytes=1234,
        created_at=created_at,
        updated_at=created_at,
    )
    return msgspec.structs.replace(base, **fields)


async def add(container, *documents: Document) -> None:
    for d in documents:
        async with container.uow()(account_id=d.account_id) as uow:
            await uow.documents.add(d)
            await uow.commit()


async def test_a_document_comes_back_with_every_field(container, owners) -> None:
    (mine, agent_id), _ = owners
    full = document(
        mine,
        agent_id,
        source=DocumentSource.URL,
        source_url="https://example.com/a.pdf",
        filename="a.pdf",
        content_type="application/pdf",
        kind=DocumentKind.PDF,
        status=DocumentStatus.READY,
        error=None,
        progress_done=4,
        progress_total=4,
        pages=3,
        char_count=5000,
        chunk_count=4,
        embedding_model="text-embedding-3-small",
        version=2,
        idempotency_key="key-1",
        processed_at=T0,
    )
    plain = document(mine, agent_id, content_hash="b" * 64)
    await add(container, full, plain)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.get(mine, full.id) == full
        assert await uow.documents.get(mine, plain.id, for_update=True) == plain
        assert await uow.documents.get_many(mine, [full.id, plain.id, "doc_missing"]) == {
            full.id: full,
            plain.id: plain,
        }


async def test_update_changes_the_stored_document_and_nothing_without_commit(container, owners) -> None:
    (mine, agent_id), _ = owners
    d = document(mine, agent_id)
    await add(container, d)
    changed = msgspec.structs.replace(d, status=DocumentStatus.FAILED, error="The PDF is damaged.", version=2)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.update(changed)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.get(mine, d.id) == d, "no commit, no change"
        assert await uow.documents.update(changed)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.get(mine, d.id) == changed
        assert not await uow.documents.update(document(mine, agent_id))


async def test_lookups_by_hash_and_idempotency_key(container, owners) -> None:
    (mine, agent_id), _ = owners
    d = document(mine, agent_id, content_hash="c" * 64, idempotency_key="retry-1")
    await add(container, d)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.find_by_hash(mine, agent_id, "c" * 64) == d
        assert await uow.documents.find_by_hash(mine, agent_id, "d" * 64) is None
        assert await uow.documents.find_by_idempotency_key(mine, agent_id, "retry-1") == d
        assert await uow.documents.find_by_idempotency_key(mine, agent_id, "retry-2") is None
    with pytest.raises(Conflict):
        await add(container, document(mine, agent_id, idempotency_key="retry-1"))


async def test_pages_newest_first_and_list_all_oldest_first(container, owners) -> None:
    (mine, agent_id), _ = owners
    docs = [document(mine, agent_id, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    await add(container, *docs)
    async with container.uow()(account_id=mine) as uow:
        first = await uow.documents.list_page(mine, agent_id, limit=2, after=None)
        rest = await uow.documents.list_page(
            mine, agent_id, limit=10, after=PageKey(created_at=first[-1].created_at, id=first[-1].id)
        )
        everything = await uow.documents.list_all(mine, agent_id)
    assert [d.id for d in first + rest] == [d.id for d in reversed(docs)]
    assert [d.id for d in everything] == [d.id for d in docs]


async def test_texts_totals_and_deletion_with_the_text(container, owners) -> None:
    (mine, agent_id), _ = owners
    a = document(mine, agent_id, char_count=100)
    b = document(mine, agent_id, char_count=250)
    await add(container, a, b)
    async with container.uow()(account_id=mine) as uow:
        await uow.documents.save_text(mine, a.id, "first version")
        await uow.documents.save_text(mine, a.id, "# Returns\n\nThirty days.")
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.get_text(mine, a.id) == "# Returns\n\nThirty days."
        assert await uow.documents.get_text(mine, b.id) is None
        assert await uow.documents.totals(mine, agent_id) == KnowledgeBaseTotals(documents=2, characters=350)
        assert await uow.documents.delete(mine, a.id)
        assert not await uow.documents.delete(mine, a.id)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.get(mine, a.id) is None and await uow.documents.get_text(mine, a.id) is None
        assert await uow.documents.totals(mine, agent_id) == KnowledgeBaseTotals(documents=1, characters=250)
        assert await uow.documents.knowledge_base_with_totals(mine, agent_id) == (
            None,
            KnowledgeBaseTotals(documents=1, characters=250),
        )


async def test_knowledge_base_state_and_deleting_an_agents_documents(container, owners) -> None:
    (mine, agent_id), _ = owners
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.knowledge_base(mine, agent_id) is None
        base = await uow.documents.lock_knowledge_base(mine, agent_id, "model-a")
        assert base == KnowledgeBase(account_id=mine, agent_id=agent_id, embedding_model="model-a")
        await uow.documents.save_knowledge_base(msgspec.structs.replace(base, pending_model="model-b"))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        locked = await uow.documents.lock_knowledge_base(mine, agent_id, "ignored-default")
        assert (locked.embedding_model, locked.pending_model) == ("model-a", "model-b")
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.knowledge_base_with_totals(mine, agent_id) == (
            KnowledgeBase(account_id=mine, agent_id=agent_id, embedding_model="model-a", pending_model="model-b"),
            KnowledgeBaseTotals(documents=0, characters=0),
        )
    d = document(mine, agent_id)
    await add(container, d, document(mine, agent_id))
    async with container.uow()(account_id=mine) as uow:
        await uow.documents.save_text(mine, d.id, "text")
        assert await uow.documents.delete_agent(mine, agent_id) == 2
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.list_all(mine, agent_id) == []
        assert await uow.documents.get_text(mine, d.id) is None
        assert await uow.documents.knowledge_base(mine, agent_id) is None


async def test_another_account_sees_nothing(container, owners) -> None:
    (mine, agent_id), (theirs, their_agent) = owners
    d = document(mine, agent_id, idempotency_key="k")
    await add(container, d)
    async with container.uow()(account_id=mine) as uow:
        await uow.documents.save_text(mine, d.id, "secret")
        await uow.documents.lock_knowledge_base(mine, agent_id, "model-a")
        await uow.commit()
    async with container.uow()(account_id=theirs) as uow:
        # Asked with the owner's account id, the tenant scope still hides the rows.
        assert await uow.documents.get(mine, d.id) is None
        assert await uow.documents.get(theirs, d.id) is None
        assert await uow.documents.get_many(mine, [d.id]) == {}
        assert await uow.documents.get_text(mine, d.id) is None
        assert await uow.documents.find_by_hash(mine, agent_id, d.content_hash) is None
        assert await uow.documents.find_by_idempotency_key(mine, agent_id, "k") is None
        assert await uow.documents.list_all(mine, agent_id) == []
        assert await uow.documents.knowledge_base(mine, agent_id) is None
        assert await uow.documents.totals(mine, agent_id) == KnowledgeBaseTotals(documents=0, characters=0)
        assert not await uow.documents.delete(mine, d.id)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.documents.get(mine, d.id) == d
