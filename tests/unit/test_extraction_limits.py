"""Hostile files cost bounded time and memory (issue 12, items 2 and 9): the ZIP guard refuses
decompression bombs before any parser opens them, the extraction's child process is stopped
when it goes over its CPU, memory or wall-clock limit, a PDF's page count is checked before its
pages are read and its text stops at the character limit, and a job that failed for a limit
is recorded failed once, never retried."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from typing import Any

import psutil
import pypdf
import pytest
from testkit.documents import blank_pdf, docx_bomb, docx_bytes, many_page_pdf, pdf_bytes

from aioomi.adapters.local.sandboxed_extractor import ExtractionSandbox, SandboxedTextExtractor
from aioomi.adapters.local.text_extractor import LocalTextExtractor
from aioomi.adapters.local.zip_guard import ZipLimits, open_zip
from aioomi.adapters.memory.clock import ManualClock
from aioomi.adapters.memory.job_store import InMemoryJobStore
from aioomi.domain.model.documents import INGEST_DOCUMENT, DocumentStatus, DocumentUpload
from aioomi.domain.model.jobs import JobStatus, NewJob
from aioomi.domain.model.knowledge import DocumentKind, ExtractionLimitExceeded, UnreadableDocument
from aioomi.entrypoints.worker.runner import Worker
from tests.support.memory import PeakMemory
from tests.unit.knowledge_support import new_agent, use_test_embedders

MIB = 1024 * 1024
NO_ZIP_LIMITS = ZipLimits(max_members=10**9, max_member_bytes=2**40, max_total_bytes=2**40, max_ratio=1e12)
"""To let a bomb reach the parser, where only the child process's limits stand."""


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


# --- the ZIP guard --------------------------------------------------------------------------


def test_a_real_word_document_passes_the_zip_guard() -> None:
    with open_zip(docx_bytes()) as archive:
        assert "word/document.xml" in archive.namelist()


def test_the_docx_bomb_is_refused_for_its_compression_ratio() -> None:
    bomb = docx_bomb(20 * MIB)
    assert len(bomb) < 150_000  # ~100 KB on disk, 20 MB unpacked: the bomb
    with pytest.raises(ExtractionLimitExceeded, match=r"word/document\.xml unpacks from .* to 20\.0 MB") as caught:
        open_zip(bomb)
    assert "decompression bomb" in caught.value.detail and "the limit is 100 times" in caught.value.detail


@pytest.mark.parametrize(
    ("members", "limits", "reason"),
    [
        ({f"m{i}": b"" for i in range(21)}, ZipLimits(max_members=20), "an archive of 21 parts; the limit is 20."),
        ({"a": os.urandom(2000)}, ZipLimits(max_member_bytes=1000), "part a unpacks to 0.0 MB"),
        ({"a": os.urandom(900), "b": os.urandom(900)}, ZipLimits(max_total_bytes=1500), "unpacks to more than"),
        ({"zeros": bytes(300_000)}, ZipLimits(), "part zeros unpacks from"),
    ],
    ids=["members", "member-size", "total", "ratio"],
)
def test_archives_over_a_limit_are_refused_with_the_reason(
    members: dict[str, bytes], limits: ZipLimits, reason: str
) -> None:
    with pytest.raises(ExtractionLimitExceeded, match=reason):
        open_zip(zip_of(members), limits)


def test_the_member_count_is_refused_before_the_central_directory_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    archive = zip_of({f"m{i}": b"" for i in range(50)})

    def parse(*_: Any, **__: Any) -> None:
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(zipfile, "ZipFile", parse)
    with pytest.raises(ExtractionLimitExceeded, match="50 parts; the limit is 49"):
        open_zip(archive, ZipLimits(max_members=49))


def test_small_members_compress_as_they_like_within_the_grace() -> None:
    with open_zip(zip_of({"zeros": bytes(100 * 1024)})) as archive:  # ~1000x, but only 100 KiB
        assert archive.namelist() == ["zeros"]


def test_the_extractor_refuses_the_bomb_before_parsing_it() -> None:
    with pytest.raises(ExtractionLimitExceeded, match="decompression bomb"):
        LocalTextExtractor().extract(docx_bomb(), filename="bomb.docx")


# --- the child process's limits -------------------------------------------------------------


async def test_the_child_is_stopped_over_its_cpu_limit() -> None:
    sandbox = SandboxedTextExtractor(ExtractionSandbox(cpu_s=1, timeout_s=60), zip_limits=NO_ZIP_LIMITS)
    with pytest.raises(ExtractionLimitExceeded, match="more than 1 seconds of processing"):
        await sandbox.extract(docx_bomb(), filename="bomb.docx")


async def test_the_child_is_stopped_over_its_memory_limit() -> None:
    sandbox = SandboxedTextExtractor(
        ExtractionSandbox(memory_bytes=200 * MIB, cpu_s=60, timeout_s=60), zip_limits=NO_ZIP_LIMITS
    )
    with pytest.raises(ExtractionLimitExceeded, match="more than the 200 MB of memory"):
        await sandbox.extract(docx_bomb(), filename="bomb.docx")


async def test_the_child_is_killed_over_its_wall_clock_timeout() -> None:
    sandbox = SandboxedTextExtractor(ExtractionSandbox(cpu_s=60, timeout_s=0.3), zip_limits=NO_ZIP_LIMITS)
    with pytest.raises(ExtractionLimitExceeded, match="longer than 0.3 seconds"):
        await sandbox.extract(docx_bomb(), filename="bomb.docx")
    assert psutil.Process().children() == []


async def test_a_cancelled_extraction_takes_its_child_down() -> None:
    sandbox = SandboxedTextExtractor(ExtractionSandbox(cpu_s=60, timeout_s=60), zip_limits=NO_ZIP_LIMITS)
    task = asyncio.create_task(sandbox.extract(docx_bomb(), filename="bomb.docx"))
    while not psutil.Process().children():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert psutil.Process().children() == []


async def test_plain_text_is_decoded_and_its_limits_hold_too() -> None:
    sandbox = SandboxedTextExtractor()
    result = await sandbox.extract(b"# Hours\n\nOpen nine to five.", filename="hours.md")
    assert (result.kind, result.text) == (DocumentKind.MARKDOWN, "# Hours\n\nOpen nine to five.")
    with pytest.raises(ExtractionLimitExceeded, match="more than 10 characters of text; the limit is 10."):
        await sandbox.extract(b"eleven chars", filename="short.txt", max_chars=10)


async def test_the_child_extracts_what_the_extractor_does_and_passes_its_errors_on() -> None:
    sandbox = SandboxedTextExtractor()
    result = await sandbox.extract(docx_bytes(), filename="handbook.docx")
    assert result.kind is DocumentKind.DOCX and result.title == "Shop handbook" and "# Returns" in result.text
    with pytest.raises(UnreadableDocument, match="password") as caught:
        await sandbox.extract(pdf_bytes(["secret"], password="pw"), filename="locked.pdf")
    assert caught.value.code == "document_unreadable"
    with pytest.raises(ExtractionLimitExceeded, match="decompression bomb"):
        await sandbox.extract(docx_bomb(), filename="bomb.docx")


# --- PDF pages and characters (item 9) ------------------------------------------------------


@pytest.fixture
def pages_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pages whose text is extracted."""
    calls: list[int] = []
    original = pypdf.PageObject.extract_text

    def counting(self: pypdf.PageObject, *args: Any, **kwargs: Any) -> str:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counting)
    return calls


def test_a_pdf_over_the_page_limit_is_refused_before_any_page_is_read(pages_read: list[int]) -> None:
    with pytest.raises(ExtractionLimitExceeded, match="The document has 2,000 pages; the limit is 1,000."):
        LocalTextExtractor().extract(blank_pdf(2000), filename="long.pdf", max_pages=1000)
    assert pages_read == []


def test_pdf_extraction_stops_at_the_character_limit(pages_read: list[int]) -> None:
    line = "Thirty characters of text, ok."  # 30 characters a page; 2 between pages once joined
    data = many_page_pdf(40, line)
    with pytest.raises(ExtractionLimitExceeded, match="more than 100 characters of text; the limit is 100"):
        LocalTextExtractor().extract(data, filename="long.pdf", max_chars=100)
    assert len(pages_read) == 4  # 30, 62, 94, then 126 > 100: the 36 other pages are never read
    result = LocalTextExtractor().extract(data, filename="long.pdf", max_chars=40 * 32)
    assert result.pages == 40 and len(result.text) == 40 * 30 + 39 * 2


# --- the worker: the bomb ends failed once, the worker's memory stays flat --------------------


async def test_a_docx_bomb_ends_failed_once_with_a_reason_and_the_worker_memory_stays_flat(memory_container) -> None:
    kb = use_test_embedders(memory_container)
    c = kb.container
    principal, agent = await new_agent(c)
    bomb, _ = await c.add_document()(principal, agent.id, DocumentUpload(data=docx_bomb(), filename="bomb.docx"))
    normal, _ = await c.add_document()(principal, agent.id, DocumentUpload(data=docx_bytes(), filename="ok.docx"))
    with PeakMemory() as peak:
        await kb.run_worker()
    grown = peak.grown
    assert grown < 100 * MIB, f"the worker's resident memory grew by {grown / MIB:.0f} MB"
    failed = await c.get_document()(principal, agent.id, bomb.id)
    assert failed.status is DocumentStatus.FAILED
    assert "decompression bomb" in (failed.error or "") and "word/document.xml" in (failed.error or "")
    assert not await c.blob_store().exists(bomb.blob_key)
    assert (await c.get_document()(principal, agent.id, normal.id)).status is DocumentStatus.READY
    jobs = [j for j in c.job_store().jobs if j.kind == INGEST_DOCUMENT and j.payload["document_id"] == bomb.id]
    assert len(jobs) == 1
    assert jobs[0].status is JobStatus.FAILED and jobs[0].attempts == 1
    assert (jobs[0].last_error or "").startswith("ExtractionLimitExceeded: ")
    await kb.run_worker()  # nothing comes back later
    assert (await c.job_store().get(jobs[0].id)).attempts == 1


async def test_a_permanent_failure_is_not_retried_where_another_failure_is() -> None:
    clock = ManualClock()
    store = InMemoryJobStore(clock)

    async def over_limit(_: dict[str, Any]) -> None:
        raise ExtractionLimitExceeded("The document has 2,000 pages; the limit is 1,000.")

    async def flaky(_: dict[str, Any]) -> None:
        raise RuntimeError("the network blinked")

    permanent = await store.enqueue(NewJob(kind="t.limit", max_attempts=10))
    transient = await store.enqueue(NewJob(kind="t.flaky", max_attempts=10))
    await Worker(store, {"t.limit": over_limit, "t.flaky": flaky}, clock).run_until_idle()
    job = await store.get(permanent)
    assert job.status is JobStatus.FAILED and job.attempts == 1
    assert job.last_error == "ExtractionLimitExceeded: The document has 2,000 pages; the limit is 1,000."
    assert (await store.get(transient)).status is JobStatus.QUEUED


async def test_an_unreadable_file_is_not_taken_for_a_memory_overrun_when_the_parent_is_large() -> None:
    # The server process may be large; its child inherits a "peak" from it through fork and exec
    # (ru_maxrss), which must not make every unreadable file look like a memory overrun.
    limit = 400 * MIB
    ballast = b"\x01" * (350 * MIB)  # the parent's resident size above three quarters of the child's limit
    sandbox = SandboxedTextExtractor(ExtractionSandbox(memory_bytes=limit, cpu_s=60, timeout_s=60))
    with pytest.raises(UnreadableDocument, match="password") as caught:
        await sandbox.extract(pdf_bytes(["secret"], password="pw"), filename="locked.pdf")
    assert caught.value.code == "document_unreadable"
    del ballast
