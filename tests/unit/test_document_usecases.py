"""The document use cases on the memory container: upload, ingestion through the worker,
limits, duplicates and idempotency, replacement re-embedding only changed chunks, deletion,
the embedding-model switch and search."""

from __future__ import annotations

import pytest
from dependency_injector import providers
from testkit.documents import pdf_bytes

from aioomi.container import Container
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentNotFound
from aioomi.domain.model.documents import (
    DocumentLimits,
    DocumentNotFound,
    DocumentSource,
    DocumentStatus,
    DocumentTooLarge,
    DocumentUpload,
    EmbeddingModelUnavailable,
    IdempotencyKeyReused,
    TooManyDocuments,
    chunk_key,
)
from aioomi.domain.usecases.knowledge.ingest_document import EmbeddingBatches
from tests.unit.knowledge_support import Knowledge, new_agent, use_test_embedders

RETURNS = "# Returns\n\nCustomers may return items within thirty days of delivery for a full refund.\n"
SHIPPING = "# Shipping\n\nParcels leave our warehouse in Lyon every weekday and arrive within three days.\n"


def text(body: str, title: str | None = None) -> DocumentUpload:
    return DocumentUpload(
        data=body.encode(), title=title, filename="text.md", content_type="text/markdown", source=DocumentSource.TEXT
    )


def sections(count: int, changed: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """A Markdown document of ``count`` sections, each long enough to be its own chunk."""
    parts = []
    for i in range(count):
        word = "revised" if i in changed else "original"
        body = " ".join(f"Section {i} sentence {j} is {word} and talks about topic{i} in detail." for j in range(20))
        parts.append(f"# Part {i}\n\n{body}\n")
    return "\n".join(parts)


@pytest.fixture
def kb(memory_container: Container) -> Knowledge:
    return use_test_embedders(memory_container)


async def chunks_of(kb: Knowledge, principal: Principal, agent_id: str, document_id: str, model: str) -> int:
    return await kb.container.chunk_store().count(
        account_id=principal.account_id, agent_id=agent_id, document_id=chunk_key(document_id, model)
    )


async def test_a_text_is_queued_then_the_worker_makes_it_ready_and_searchable(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    document, created = await c.add_document()(principal, agent.id, text(RETURNS, "Returns policy"))
    assert created and document.status == DocumentStatus.QUEUED and document.id.startswith("doc_")
    assert kb.embedder.calls == [], "nothing is processed in the request"
    assert await c.blob_store().get(document.blob_key) == RETURNS.encode()

    await kb.run_worker()

    ready = await c.get_document()(principal, agent.id, document.id)
    assert ready.status == DocumentStatus.READY and ready.error is None
    assert ready.chunk_count == 1 and ready.progress_done == ready.progress_total == 1
    assert ready.embedding_model == "test-embedder-a"
    assert ready.char_count == len(RETURNS) == 88  # the Markdown file as uploaded, its final newline included
    _, extracted = await c.get_document_text()(principal, agent.id, document.id)
    assert "thirty days" in extracted
    stored = await c.chunk_store().list_document(
        account_id=principal.account_id, agent_id=agent.id, document_id=chunk_key(document.id, "test-embedder-a")
    )
    assert [(s.embedding_model, s.dimensions) for s in stored] == [("test-embedder-a", 32)]

    await c.add_document()(principal, agent.id, text(SHIPPING, "Shipping"))
    await kb.run_worker()
    hits = await c.search_knowledge()(principal.account_id, agent.id, "how many days to return an item?")
    assert hits and hits[0].document_id == document.id and hits[0].document_title == "Returns policy"
    assert hits[0].position == 0 and hits[0].score > 0


async def test_progress_is_reported_while_processing(memory_container: Container) -> None:
    seen: list[tuple[str, int, int]] = []
    kb = use_test_embedders(memory_container)
    c = kb.container
    c.ingest_document.add_kwargs(batches=EmbeddingBatches(max_inputs=2))
    principal, agent = await new_agent(c)
    document, _ = await c.add_document()(principal, agent.id, text(sections(5)))

    async def snapshot(_texts: object) -> None:
        current = await c.get_document()(principal, agent.id, document.id)
        seen.append((current.status, current.progress_done, current.progress_total))

    kb.embedder.on_call = snapshot
    await kb.run_worker()
    assert [s for s, _, _ in seen] == ["processing"] * 3
    assert [(d, t) for _, d, t in seen] == [(0, 5), (2, 5), (4, 5)]
    assert [len(call) for call in kb.embedder.calls] == [2, 2, 1]
    assert (await c.get_document()(principal, agent.id, document.id)).status == DocumentStatus.READY


async def test_the_same_content_again_answers_with_the_existing_document(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    first, _ = await c.add_document()(principal, agent.id, text(RETURNS))
    again, created = await c.add_document()(principal, agent.id, text(RETURNS, "Another title"))
    assert not created and again.id == first.id
    assert len((await c.list_documents()(principal, agent.id)).items) == 1
    assert len(c.blob_store().blobs) == 1


async def test_an_idempotency_key_replays_the_first_result_and_refuses_other_content(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    first, created = await c.add_document()(principal, agent.id, text(RETURNS), idempotency_key="k-1")
    retried, created_again = await c.add_document()(principal, agent.id, text(RETURNS), idempotency_key="k-1")
    assert created and not created_again and retried.id == first.id
    with pytest.raises(IdempotencyKeyReused):
        await c.add_document()(principal, agent.id, text(SHIPPING), idempotency_key="k-1")
    assert len((await c.list_documents()(principal, agent.id)).items) == 1


async def test_limits_refuse_and_store_nothing(kb: Knowledge) -> None:
    c = kb.container
    c.document_limits.override(
        providers.Object(
            DocumentLimits(
                max_file_bytes=4_000, max_documents_per_agent=2, max_document_chars=1_500, max_agent_chars=10_000
            )
        )
    )
    principal, agent = await new_agent(c)
    with pytest.raises(DocumentTooLarge, match="4,000 bytes"):
        await c.add_document()(principal, agent.id, text("word " * 1_000))
    with pytest.raises(DocumentTooLarge, match="1,600 characters"):
        await c.add_document()(principal, agent.id, text("a" * 1_600))
    assert c.blob_store().blobs == {} and (await c.list_documents()(principal, agent.id)).items == []
    await c.add_document()(principal, agent.id, text(RETURNS))
    await c.add_document()(principal, agent.id, text(SHIPPING))
    with pytest.raises(TooManyDocuments):
        await c.add_document()(principal, agent.id, text("A third document."))
    assert len(c.blob_store().blobs) == 2


async def test_extracted_limits_and_unreadable_files_fail_with_a_reason(kb: Knowledge) -> None:
    c = kb.container
    c.document_limits.override(providers.Object(DocumentLimits(max_document_chars=300)))
    principal, agent = await new_agent(c)
    html = DocumentUpload(
        data=b"<html><body>" + b"<p>Long paragraph of words.</p>" * 40 + b"</body></html>", filename="page.html"
    )
    too_long, _ = await c.add_document()(principal, agent.id, html)
    encrypted, _ = await c.add_document()(
        principal, agent.id, DocumentUpload(data=pdf_bytes(["Secret"], password="pw"), filename="secret.pdf")
    )
    corrupt, _ = await c.add_document()(
        principal, agent.id, DocumentUpload(data=b"%PDF-1.7\nthis is not really a pdf", filename="broken.pdf")
    )
    await kb.run_worker()
    for document, reason in ((too_long, "characters of text"), (encrypted, "password"), (corrupt, "damaged")):
        failed = await c.get_document()(principal, agent.id, document.id)
        assert failed.status == DocumentStatus.FAILED and reason in (failed.error or ""), failed.error
        assert not await c.blob_store().exists(document.blob_key)
        assert await chunks_of(kb, principal, agent.id, document.id, "test-embedder-a") == 0
    assert kb.embedder.calls == []


async def test_replacing_a_document_embeds_only_the_chunks_that_changed(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    document, _ = await c.add_document()(principal, agent.id, text(sections(6)))
    await kb.run_worker()
    assert kb.embedder.inputs == 6
    before = await c.get_document()(principal, agent.id, document.id)

    replaced, changed = await c.replace_document()(principal, agent.id, document.id, text(sections(6, changed={2, 4})))
    assert changed and replaced.version == 2 and replaced.status == DocumentStatus.QUEUED
    assert not await c.blob_store().exists(before.blob_key), "the old original is removed"
    # Until the new version is ingested, search still finds the old chunks.
    assert await chunks_of(kb, principal, agent.id, document.id, "test-embedder-a") == 6
    await kb.run_worker()
    assert kb.embedder.inputs == 6 + 2, "only the two changed sections are embedded again"
    after = await c.get_document()(principal, agent.id, document.id)
    assert after.status == DocumentStatus.READY and after.chunk_count == 6
    hits = await c.search_knowledge()(principal.account_id, agent.id, "revised topic2")
    assert hits[0].position == 2 and "revised" in hits[0].text

    same, changed_again = await c.replace_document()(
        principal, agent.id, document.id, text(sections(6, changed={2, 4}))
    )
    assert not changed_again and same.version == 2


async def test_deleting_a_document_removes_text_chunks_and_file_at_once(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    document, _ = await c.add_document()(principal, agent.id, text(RETURNS))
    keep, _ = await c.add_document()(principal, agent.id, text(SHIPPING))
    await kb.run_worker()
    await c.delete_document()(principal, agent.id, document.id)
    assert await chunks_of(kb, principal, agent.id, document.id, "test-embedder-a") == 0
    assert not await c.blob_store().exists(document.blob_key)
    assert document.id not in c.memory_database().table("document_texts")
    with pytest.raises(DocumentNotFound):
        await c.get_document()(principal, agent.id, document.id)
    assert await chunks_of(kb, principal, agent.id, keep.id, "test-embedder-a") == 1
    await kb.run_worker()  # the purge job is a safety net and finds nothing left


async def test_deleting_the_agent_removes_every_document_chunk_and_file(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    _, other_agent = await new_agent(c, principal.account_id, "Other")
    await c.add_document()(principal, agent.id, text(RETURNS))
    kept, _ = await c.add_document()(principal, other_agent.id, text(SHIPPING))
    await kb.run_worker()
    await c.delete_agent()(principal, agent.id)
    assert await c.chunk_store().count(account_id=principal.account_id, agent_id=agent.id) == 0
    assert list(c.blob_store().blobs) == [kept.blob_key]
    assert [d.agent_id for d in c.memory_database().table("documents").values()] == [other_agent.id]
    assert len(c.memory_database().table("document_texts")) == 1


async def test_another_account_cannot_see_or_search_the_documents(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    document, _ = await c.add_document()(principal, agent.id, text(RETURNS))
    await kb.run_worker()
    intruder = Principal.own(account_id="acct_" + "x" * 26)
    with pytest.raises(AgentNotFound):
        await c.get_document()(intruder, agent.id, document.id)
    with pytest.raises(AgentNotFound):
        await c.search_knowledge()(intruder.account_id, agent.id, "return")
    _, own_agent = await new_agent(c, intruder.account_id)
    with pytest.raises(DocumentNotFound):
        await c.get_document()(intruder, own_agent.id, document.id)


async def test_switching_the_embedding_model_reembeds_in_the_background_then_switches_at_once(kb: Knowledge) -> None:
    c = kb.container
    principal, agent = await new_agent(c)
    first, _ = await c.add_document()(principal, agent.id, text(RETURNS, "Returns"))
    second, _ = await c.add_document()(principal, agent.id, text(sections(3), "Manual"))
    await kb.run_worker()

    with pytest.raises(EmbeddingModelUnavailable):
        await c.change_embedding_model()(principal, agent.id, "no-such-model")
    base = await c.change_embedding_model()(principal, agent.id, "test-embedder-b")
    assert (base.embedding_model, base.pending_model) == ("test-embedder-a", "test-embedder-b")

    switched_during: list[str] = []

    async def search_meanwhile(_texts: object) -> None:
        hits = await c.search_knowledge()(principal.account_id, agent.id, "return items thirty days")
        current, _ = await c.get_knowledge_base()(principal, agent.id)
        switched_during.append(current.embedding_model)
        assert hits and hits[0].document_id == first.id, "search keeps answering from the old model"

    kb.other.on_call = search_meanwhile
    await kb.run_worker()
    kb.other.on_call = None

    assert switched_during and set(switched_during) == {"test-embedder-a"}
    base, _ = await c.get_knowledge_base()(principal, agent.id)
    assert (base.embedding_model, base.pending_model) == ("test-embedder-b", None)
    assert kb.other.inputs == 1 + 3
    for document, count in ((first, 1), (second, 3)):
        assert await chunks_of(kb, principal, agent.id, document.id, "test-embedder-b") == count
        assert await chunks_of(kb, principal, agent.id, document.id, "test-embedder-a") == 0
        assert (await c.get_document()(principal, agent.id, document.id)).embedding_model == "test-embedder-b"
    hits = await c.search_knowledge()(principal.account_id, agent.id, "return items thirty days")
    assert hits[0].document_id == first.id

    # A document added after the switch is embedded with the new model.
    later, _ = await c.add_document()(principal, agent.id, text(SHIPPING))
    await kb.run_worker()
    assert await chunks_of(kb, principal, agent.id, later.id, "test-embedder-b") == 1
