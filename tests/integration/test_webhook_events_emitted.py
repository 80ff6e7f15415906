"""The knowledge base's events reach the account's endpoints (memory adapters, the real worker,
the crawler against the fake website on loopback): a readable upload sends document.ready, a
damaged PDF document.failed, a website sync source.synced with its run's counts (and one
document.ready per page taken)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import pytest
from dependency_injector import providers
from testkit.website import Website, served_website

from aioomi.container import container_in_memory, start, stop
from aioomi.domain.model.documents import DocumentUpload
from aioomi.domain.model.sources import SourceKind, SourceSettings
from aioomi.settings import Settings
from tests.unit.knowledge_support import Knowledge, new_agent, use_test_embedders
from tests.unit.test_webhooks import FakeTransport

EVENTS = ["document.ready", "document.failed", "source.synced"]


@pytest.fixture(scope="module")
def website() -> Iterator[Website]:
    with served_website() as site:
        yield site


@pytest.fixture
async def knowledge(tmp_path: Path) -> AsyncIterator[tuple[Knowledge, FakeTransport]]:
    container = container_in_memory(
        settings=Settings(
            data_dir=str(tmp_path / "aioomi"),
            log_format="console",
            url_fetch_timeout_s=3.0,
            url_fetch_allowed_networks="127.0.0.1/32",
            document_max_bytes=100_000,
        )
    )
    knowledge = use_test_embedders(container)
    transport = FakeTransport()
    container.webhook_transport.override(providers.Object(transport))
    await start(container)
    yield knowledge, transport
    await stop(container)


def received(transport: FakeTransport) -> list[dict]:
    return [msgspec.json.decode(r.body) for r in transport.sent]


async def test_uploads_send_document_ready_or_document_failed(knowledge: tuple[Knowledge, FakeTransport]) -> None:
    kb, transport = knowledge
    principal, agent = await new_agent(kb.container)
    await kb.container.create_webhook_endpoint()(principal, url="https://crm.example.com/in", events=EVENTS)
    good, _ = await kb.container.add_document()(
        principal, agent.id, DocumentUpload(data=b"The shop opens at nine every morning.", filename="hours.txt")
    )
    bad, _ = await kb.container.add_document()(
        principal, agent.id, DocumentUpload(data=b"%PDF-1.7\nthis is not really a pdf", filename="broken.pdf")
    )
    await kb.run_worker()
    by_document = {e["data"]["document_id"]: e for e in received(transport)}
    assert (by_document[good.id]["type"], by_document[good.id]["data"]["status"]) == ("document.ready", "ready")
    assert (by_document[bad.id]["type"], by_document[bad.id]["data"]["status"]) == ("document.failed", "failed")
    assert "damaged" in by_document[bad.id]["data"]["error"]
    assert len(transport.sent) == 2


async def test_a_website_sync_sends_source_synced_with_its_counts(
    knowledge: tuple[Knowledge, FakeTransport], website: Website
) -> None:
    kb, transport = knowledge
    principal, agent = await new_agent(kb.container)
    await kb.container.create_webhook_endpoint()(principal, url="https://crm.example.com/in", events=EVENTS)
    created = await kb.container.create_source()(
        principal, agent.id, SourceKind.WEBSITE, SourceSettings(url=f"{website.base}/about", max_depth=0)
    )
    await kb.run_worker()
    events = received(transport)
    [synced] = [e for e in events if e["type"] == "source.synced"]
    assert (synced["data"]["source_id"], synced["data"]["status"]) == (created.source.id, "succeeded")
    ready = [e for e in events if e["type"] == "document.ready"]
    assert synced["data"]["counts"]["updated"] == len(ready) == 1
