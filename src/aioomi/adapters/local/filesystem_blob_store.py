"""Blobs as files under one folder (``settings.data_dir/blobs``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

from aioomi.domain.model.documents import check_blob_key as check_key
from aioomi.domain.model.errors import InvalidInput


class FilesystemBlobStore:
    """:class:`aioomi.ports.blob_store.BlobStore` on a local folder. A write goes to a
    temporary file in the same folder, is fsynced, then renamed over the target, so readers
    never see half a file. Shared by processes on one machine (or one network volume)."""

    def __init__(self, root: str | Path) -> None:
        self._root = Path(root)

    def _path(self, key: str) -> Path:
        return self._root.joinpath(*check_key(key).split("/"))

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            return None

    @asynccontextmanager
    async def writer(self, key: str) -> AsyncIterator[BinaryIO]:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w+b") as handle:
                yield handle
                handle.flush()
                await asyncio.to_thread(os.fsync, handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink on the failure path, also when cancelled
            raise

    async def reader(self, key: str) -> BinaryIO | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError):
            return None

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    @staticmethod
    def _delete_folder(folder: Path) -> int:
        count = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".tmp-"))
        shutil.rmtree(folder, ignore_errors=True)
        return count

    async def delete_prefix(self, prefix: str) -> int:
        if not prefix.endswith("/"):
            raise InvalidInput("A prefix names a folder and ends with '/'.", code="invalid_blob_key")
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        return await asyncio.to_thread(self._delete_folder, folder)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()
