"""The BlobStore contract, on memory and on the filesystem."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aioomi.adapters.local.filesystem_blob_store import FilesystemBlobStore
from aioomi.adapters.memory.blob_store import InMemoryBlobStore
from aioomi.domain.model.errors import InvalidInput


@pytest.fixture(params=["memory", "filesystem"])
async def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    yield InMemoryBlobStore() if request.param == "memory" else FilesystemBlobStore(tmp_path / "blobs")


async def test_put_get_replace_delete(blobs) -> None:
    key = "acct_1/agt_1/doc_1/v1-abc"
    assert await blobs.get(key) is None and not await blobs.exists(key)
    await blobs.put(key, b"%PDF-1.7 first")
    assert await blobs.get(key) == b"%PDF-1.7 first" and await blobs.exists(key)
    await blobs.put(key, b"second")
    assert await blobs.get(key) == b"second"
    assert await blobs.delete(key)
    assert not await blobs.delete(key)
    assert await blobs.get(key) is None


async def test_delete_prefix_removes_everything_under_it_and_nothing_else(blobs) -> None:
    for key in ("acct_1/agt_1/doc_1/v1", "acct_1/agt_1/doc_1/v2", "acct_1/agt_1/doc_2/v1", "acct_1/agt_10/doc_3/v1"):
        await blobs.put(key, key.encode())
    assert await blobs.delete_prefix("acct_1/agt_1/doc_1/") == 2
    assert await blobs.get("acct_1/agt_1/doc_2/v1") == b"acct_1/agt_1/doc_2/v1"
    assert await blobs.delete_prefix("acct_1/agt_1/") == 1
    assert await blobs.get("acct_1/agt_10/doc_3/v1") == b"acct_1/agt_10/doc_3/v1", (
        "a longer name is not under the prefix"
    )
    assert await blobs.delete_prefix("acct_1/agt_1/") == 0


@pytest.mark.parametrize("key", ["", "../etc/passwd", "/abs/path", "a//b", "a/../b", "a/.hidden", "a b"])
async def test_unsafe_keys_are_refused(blobs, key: str) -> None:
    with pytest.raises(InvalidInput):
        await blobs.put(key, b"x")
    with pytest.raises(InvalidInput):
        await blobs.get(key)


async def test_empty_and_binary_content_round_trip(blobs) -> None:
    data = bytes(range(256)) * 10
    await blobs.put("k/binary", data)
    await blobs.put("k/empty", b"")
    assert await blobs.get("k/binary") == data and await blobs.get("k/empty") == b""


async def test_a_blob_written_piece_by_piece_appears_whole_and_only_on_success(blobs) -> None:
    key = "acct_1/exports/exp_1.zip"
    async with blobs.writer(key) as out:
        out.write(b"first piece, ")
        assert await blobs.get(key) is None, "a reader sees the whole blob or none"
        out.write(b"second piece")
    assert await blobs.get(key) == b"first piece, second piece"
    handle = await blobs.reader(key)
    try:
        assert handle.read(5) == b"first" and handle.read() == b" piece, second piece"
    finally:
        handle.close()
    with pytest.raises(RuntimeError):
        async with blobs.writer("acct_1/exports/exp_2.zip") as out:
            out.write(b"half")
            raise RuntimeError("the build failed")
    assert not await blobs.exists("acct_1/exports/exp_2.zip")
    assert await blobs.reader("acct_1/exports/exp_2.zip") is None
