"""The PurgeDocumentData use case."""

from __future__ import annotations

from collections.abc import Sequence

from aioomi.domain.model.documents import (
    chunk_key,
)
from aioomi.domain.usecases.knowledge.support import document_blob_prefix
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore


class PurgeDocumentData:
    """Remove what a deleted document (or agent) left outside the document store: its chunks
    under every model named, and its original files. Idempotent: the delete runs it at once,
    and a job runs it again in case the process died in between."""

    def __init__(self, chunk_store: ChunkStore, blobs: BlobStore) -> None:
        self._chunks = chunk_store
        self._blobs = blobs

    async def __call__(self, account_id: str, agent_id: str, document_id: str, models: Sequence[str]) -> int:
        removed = 0
        for model in dict.fromkeys(models):
            removed += await self._chunks.delete_document(
                account_id=account_id, agent_id=agent_id, document_id=chunk_key(document_id, model)
            )
        await self._blobs.delete_prefix(document_blob_prefix(account_id, agent_id, document_id))
        return removed
