"""Streaming an open file to a response piece by piece, off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import BinaryIO

PIECE = 256 * 1024


async def file_chunks(handle: BinaryIO, piece: int = PIECE) -> AsyncIterator[bytes]:
    """The file's bytes in pieces of ``piece``; the file is closed at the end (or when the
    client goes away)."""
    try:
        while data := await asyncio.to_thread(handle.read, piece):
            yield data
    finally:
        await asyncio.to_thread(handle.close)
