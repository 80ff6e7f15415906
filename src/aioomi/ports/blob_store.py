"""Keeping the original files of documents."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    """Opaque bytes by key. Keys are ``/``-separated paths of safe characters
    (letters, digits, ``_ - .``); a key names one blob, a prefix (``acct/agt/``) all under it.
    Writes are atomic: a reader sees the whole blob or none."""

    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any blob there."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The blob, or ``None`` when there is none."""
        ...

    def writer(self, key: str) -> AbstractAsyncContextManager[BinaryIO]:
        """A seekable file to write a large blob into piece by piece (constant memory); it
        becomes the blob ``key`` when the block ends without an error, else nothing is stored.
        Its methods block: call them off the event loop for large writes."""
        ...

    async def reader(self, key: str) -> BinaryIO | None:
        """The blob opened for reading piece by piece (the caller closes it), or ``None``."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the blob; False when there was none."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every blob whose key starts with ``prefix`` (which ends with ``/``); return how many."""
        ...

    async def exists(self, key: str) -> bool: ...
