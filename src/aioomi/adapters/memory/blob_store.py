"""Blobs in process memory."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import BinaryIO

from aioomi.domain.model.documents import check_blob_key as check_key


class InMemoryBlobStore:
    """:class:`aioomi.ports.blob_store.BlobStore` in a dict; same key rules as the filesystem one."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self.blobs[check_key(key)] = bytes(data)

    async def get(self, key: str) -> bytes | None:
        return self.blobs.get(check_key(key))

    @asynccontextmanager
    async def writer(self, key: str) -> AsyncIterator[BinaryIO]:
        check_key(key)
        buffer = io.BytesIO()
        yield buffer
        self.blobs[key] = buffer.getvalue()

    async def reader(self, key: str) -> BinaryIO | None:
        data = self.blobs.get(check_key(key))
        return io.BytesIO(data) if data is not None else None

    async def delete(self, key: str) -> bool:
        return self.blobs.pop(check_key(key), None) is not None

    async def delete_prefix(self, prefix: str) -> int:
        check_key(prefix.rstrip("/"))
        doomed = [k for k in self.blobs if k.startswith(prefix)]
        for key in doomed:
            del self.blobs[key]
        return len(doomed)

    async def exists(self, key: str) -> bool:
        return check_key(key) in self.blobs
