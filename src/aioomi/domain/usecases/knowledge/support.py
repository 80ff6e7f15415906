"""What the knowledge use cases share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
import msgspec
from aioomi.domain.model.documents import (
    EMBEDDING_BATCH_INPUTS,
    EMBEDDING_BATCH_TOKENS,
    INGEST_DOCUMENT,
    MAX_INGEST_ATTEMPTS,
    Document,
    DocumentLimits,
    DocumentStatus,
    agent_chars_problem,
    chunk_key,
    title_after_extraction,
    embedding_batches,
    extraction_problem,
)
from aioomi.domain.model.errors import PermanentFailure
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.knowledge import (
    Chunk,
    EmbeddedChunk,
    EmbeddingRejected,
    EmbeddingUnavailable,
    ExtractedText,
    UnreadableDocument,
    titled,
)
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.chunk_store import ChunkStore
from aioomi.ports.chunker import Chunker
from aioomi.ports.clock import Clock
from aioomi.ports.embedder import Embedder
from aioomi.ports.embedder_catalog import EmbedderCatalog
from aioomi.ports.text_extractor import TextExtractor
from aioomi.ports.unit_of_work import UnitOfWorkFactory


def agent_blob_prefix(account_id: str, agent_id: str) -> str:
    return f"{account_id}/{agent_id}/"


def document_blob_prefix(account_id: str, agent_id: str, document_id: str) -> str:
    return f"{account_id}/{agent_id}/{document_id}/"


def blob_key(document: Document, content_hash: str) -> str:
    return f"{document_blob_prefix(document.account_id, document.agent_id, document.id)}v{document.version}-{content_hash[:16]}"
