"""Writing a data export's zip straight into the blob store, one member at a time, so building
it holds at most one JSON file and a 1 MiB piece of an original in memory, however many
documents the account has (the archive's format is in docs/privacy.md#export-archive)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from collections.abc import Mapping
from typing import IO

import msgspec

from aioomi.ports.blob_store import BlobStore

_PIECE = 1024 * 1024


class ExportManifest(msgspec.Struct, frozen=True, kw_only=True):
    """The head of ``manifest.json`` (its ``files`` list is added when the archive is written)."""

    schema_version: int
    export_id: str
    account_id: str
    generated_at: str
    """ISO 8601, as ``datetime.isoformat`` writes it."""
    format: str
    workspace_id: str | None = None
    """The workspace a workspace export holds; ``None`` in the person's export."""


class ArchiveEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One member of the archive as the manifest lists it."""

    name: str
    sha256: str
    bytes: int
    description: str = ""


def _copy(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while piece := source.read(_PIECE):
        digest.update(piece)
        size += len(piece)
        target.write(piece)
    return digest.hexdigest(), size


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> ArchiveEntry:
    archive.writestr(name, data)
    return ArchiveEntry(name=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))


def _write_blob(archive: zipfile.ZipFile, name: str, source: IO[bytes]) -> ArchiveEntry:
    with source, archive.open(name, "w", force_zip64=True) as target:
        sha256, size = _copy(source, target)
    return ArchiveEntry(name=name, sha256=sha256, bytes=size)


async def write_export_archive(
    blobs: BlobStore,
    key: str,
    *,
    manifest: ExportManifest,
    files: Mapping[str, bytes],
    originals: Mapping[str, str],
    descriptions: Mapping[str, str],
) -> int:
    """Write the zip under ``key`` and return its size in bytes: ``files`` (name → bytes),
    then ``originals`` (name → blob key, copied piece by piece; a blob gone meanwhile is left
    out), then ``manifest.json``: ``manifest`` plus the name, description, ``sha256`` and
    ``bytes`` of every other member. Nothing is stored if writing fails."""
    entries: list[ArchiveEntry] = []
    async with blobs.writer(key) as out:
        archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        try:
            for name, data in sorted(files.items()):
                entries.append(await asyncio.to_thread(_write, archive, name, data))
            for name, blob_key in sorted(originals.items()):
                source = await blobs.reader(blob_key)
                if source is not None:
                    entries.append(await asyncio.to_thread(_write_blob, archive, name, source))
            listed = [
                msgspec.structs.replace(e, description=descriptions.get(e.name, "A document's original file or text."))
                for e in sorted(entries, key=lambda e: e.name)
            ]
            document = msgspec.to_builtins(manifest) | {"files": msgspec.to_builtins(listed)}
            await asyncio.to_thread(archive.writestr, "manifest.json", json.dumps(document, indent=2))
        finally:
            await asyncio.to_thread(archive.close)
        return out.tell()
