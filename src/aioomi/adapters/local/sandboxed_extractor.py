"""Text extraction in a child process with limits, so a hostile file cannot take the worker
(or, on the embedded default, the web server that shares its process) down with it.

Each extraction of a parsed format (PDF, Word, Excel, PowerPoint, EPUB, HTML) starts a fresh ``python -m
aioomi.adapters.local.sandboxed_extractor``, which sets its own limits before it reads the file:
address space (``RLIMIT_AS``: an allocation past it fails with ``MemoryError``), CPU time
(``RLIMIT_CPU``: the kernel stops it with ``SIGXCPU``, then ``SIGKILL`` a second later), no
core files, and a niceness of 10 so the web server and the worker's loop get the CPU first. The
parent awaits the child's pipes on its event loop (no thread is held) for at most a wall-clock
timeout, then kills it. A thread could not be stopped this way; a process can, and its memory
goes back to the system when it ends. Starting the child costs about a tenth of a second on an
idle machine.

Requests and answers cross the pipe as msgpack: the file's bytes and limits in, an
:class:`ExtractedText` or a domain error's kind and reason out."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import signal
import sys

import msgspec

from aioomi.adapters.local.file_types import detect_kind
from aioomi.adapters.local.text_extractor import LocalTextExtractor
from aioomi.adapters.local.zip_guard import DEFAULT_ZIP_LIMITS, ZipLimits
from aioomi.domain.model.knowledge import (
    DocumentKind,
    ExtractedText,
    ExtractionLimitExceeded,
    UnreadableDocument,
    UnsupportedDocumentType,
)

CHILD_MODULE = "aioomi.adapters.local.sandboxed_extractor"
NICENESS = 10
_PARSED_MAGIC = (b"%PDF-", b"PK\x03\x04")
_DECODED_IN_PROCESS = frozenset({DocumentKind.TEXT, DocumentKind.MARKDOWN, DocumentKind.CSV})
_MIB = 1024 * 1024

log = logging.getLogger(__name__)


class ExtractionSandbox(msgspec.Struct, frozen=True, kw_only=True):
    """What one extraction may use: address space, CPU seconds and wall-clock seconds."""

    memory_bytes: int = 1024 * _MIB
    cpu_s: int = 60
    timeout_s: float = 120.0


class _Request(msgspec.Struct, frozen=True, kw_only=True):
    data: bytes
    filename: str
    content_type: str | None
    max_pages: int | None
    max_chars: int | None
    zip_limits: ZipLimits


class _Answer(msgspec.Struct, frozen=True, kw_only=True):
    text: ExtractedText | None = None
    error: str | None = None  # "unsupported", "unreadable", "limit" or "memory"
    detail: str = ""


_ERRORS: dict[str, type[UnreadableDocument]] = {
    "unsupported": UnsupportedDocumentType,
    "unreadable": UnreadableDocument,
    "limit": ExtractionLimitExceeded,
}


class SandboxedTextExtractor:
    """:class:`aioomi.ports.text_extractor.TextExtractor` that runs
    :class:`~aioomi.adapters.local.text_extractor.LocalTextExtractor` in a child process
    under ``sandbox``'s limits, awaited without a thread. Going over one is
    :class:`ExtractionLimitExceeded` (a permanent failure, not retried) with a reason an owner
    understands. Plain text, Markdown and CSV, which are decoded rather than parsed, are read
    in this process; every parser (PDF, Word, Excel, PowerPoint, EPUB, HTML) runs in the
    child."""

    def __init__(self, sandbox: ExtractionSandbox | None = None, zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> None:
        self._sandbox = sandbox or ExtractionSandbox()
        self._zip_limits = zip_limits

    async def extract(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str | None = None,
        max_pages: int | None = None,
        max_chars: int | None = None,
    ) -> ExtractedText:
        if not data.startswith(_PARSED_MAGIC) and detect_kind(data, filename, content_type) in _DECODED_IN_PROCESS:
            # Plain text is decoded, not parsed: linear in the file's size, which the upload limit bounds.
            return LocalTextExtractor(zip_limits=self._zip_limits).extract(
                data,
                filename=filename,
                content_type=content_type,
                max_pages=max_pages,
                max_chars=max_chars,
            )
        sandbox = self._sandbox
        request = msgspec.msgpack.encode(
            _Request(
                data=data,
                filename=filename,
                content_type=content_type,
                max_pages=max_pages,
                max_chars=max_chars,
                zip_limits=self._zip_limits,
            )
        )
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            CHILD_MODULE,
            str(sandbox.memory_bytes),
            str(sandbox.cpu_s),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(sandbox.timeout_s):
                out, err = await child.communicate(request)
        except TimeoutError:
            raise ExtractionLimitExceeded(
                f"Reading the file took longer than {sandbox.timeout_s:g} seconds, so it was stopped."
            ) from None
        finally:
            if child.returncode is None:  # timed out or cancelled: the child goes too
                child.kill()
                await asyncio.shield(child.wait())
        if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ExtractionLimitExceeded(
                f"Reading the file needed more than {sandbox.cpu_s} seconds of processing, so it was stopped."
            )
        try:
            answer = msgspec.msgpack.decode(out, type=_Answer) if child.returncode == 0 else None
        except msgspec.DecodeError:
            answer = None
        if answer is None and (child.returncode or 0) > 0:
            log.warning("text extraction failed: exit %s, %s", child.returncode, err[-500:].decode(errors="replace"))
            raise UnreadableDocument("The file could not be read: the reader failed on it.")
        if answer is None or answer.error == "memory":  # a signal other than the CPU's: memory ran out in C code
            raise ExtractionLimitExceeded(
                f"Reading the file needed more than the {sandbox.memory_bytes // _MIB:,} MB of memory an "
                "extraction may use, so it was stopped."
            )
        if answer.error is not None:
            raise _ERRORS.get(answer.error, UnreadableDocument)(answer.detail)
        if answer.text is None:
            raise UnreadableDocument("No text could be found in the file.")
        return answer.text


def _limit_self(memory_bytes: int, cpu_s: int) -> None:
    os.nice(NICENESS)  # background work: the web server and the worker's loop come first
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))


def _peak_resident_bytes() -> int:
    """This process's own peak resident size since it exec'd: ``VmHWM`` of its address space.
    Not ``ru_maxrss``: Linux carries it over through fork and exec, so a child of a large server
    process would start with the server's size as its "peak"."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _ran_out_of_memory(memory_bytes: int) -> bool:
    """Parsers in C report a failed allocation as a parse error ("unknown error" from lxml):
    a failure after the peak resident size reached three quarters of the limit is taken as
    the memory running out."""
    return _peak_resident_bytes() >= 0.75 * memory_bytes


def _child(argv: list[str]) -> int:
    memory_bytes = int(argv[1])
    _limit_self(memory_bytes, int(argv[2]))
    try:
        request = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=_Request)
        text = LocalTextExtractor(zip_limits=request.zip_limits).extract(
            request.data,
            filename=request.filename,
            content_type=request.content_type,
            max_pages=request.max_pages,
            max_chars=request.max_chars,
        )
        answer = _Answer(text=text)
    except MemoryError:
        answer = _Answer(error="memory")
    except ExtractionLimitExceeded as error:
        answer = _Answer(error="limit", detail=error.detail)
    except UnsupportedDocumentType as error:
        answer = _Answer(error="unsupported", detail=error.detail)
    except UnreadableDocument as error:
        answer = _Answer(error="unreadable", detail=error.detail)
    except Exception as error:  # noqa: BLE001 - a parser's bug on a strange file is the file's failure
        answer = _Answer(error="unreadable", detail=f"The file could not be read ({type(error).__name__}).")
    if answer.error == "unreadable" and _ran_out_of_memory(memory_bytes):
        answer = _Answer(error="memory")
    try:
        sys.stdout.buffer.write(msgspec.msgpack.encode(answer))
        sys.stdout.buffer.flush()
    except MemoryError:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv))
