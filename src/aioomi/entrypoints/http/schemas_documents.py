"""Request and response bodies of the documents, search and knowledge-base API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.documents import (
    MAX_TITLE,
    MAX_URL,
    Document,
    DocumentHit,
    DocumentLimits,
    KnowledgeBase,
    KnowledgeBaseTotals,
)
from aioomi.domain.model.knowledge import MAX_QUERY_CHARS, MAX_TOP_K


class DocumentTextIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A document given as text (Markdown headings and tables are understood)."""

    text: Annotated[str, msgspec.Meta(min_length=1)]
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)] | None = None


class DocumentUrlIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A document fetched from one public address (a page, a PDF, a .docx, .xlsx, .pptx or EPUB, a text or CSV file)."""

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)] | None = None


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    done: int
    total: int


class DocumentOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    title: str
    source: str
    source_url: str | None
    filename: str | None
    content_type: str | None
    kind: str | None
    status: str
    progress: Progress
    error: str | None
    size_bytes: int
    pages: int
    characters: int
    chunks: int
    embedding_model: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None
    source_id: str | None

    @classmethod
    def of(cls, d: Document) -> DocumentOut:
        return cls(
            id=d.id,
            agent_id=d.agent_id,
            title=d.title,
            source=str(d.source),
            source_url=d.source_url,
            filename=d.filename,
            content_type=d.content_type,
            kind=None if d.kind is None else str(d.kind),
            status=str(d.status),
            progress=Progress(done=d.progress_done, total=d.progress_total),
            error=d.error,
            size_bytes=d.size_bytes,
            pages=d.pages,
            characters=d.char_count,
            chunks=d.chunk_count,
            embedding_model=d.embedding_model,
            version=d.version,
            created_at=d.created_at,
            updated_at=d.updated_at,
            processed_at=d.processed_at,
            source_id=d.source_id,
        )


class DocumentList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[DocumentOut]
    next_cursor: str | None


class DocumentTextOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    text: str


class DocumentPatchIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    title: str
    """1–300 characters on one line; searched with every chunk of the document."""


class SearchIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    query: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUERY_CHARS)]
    top_k: Annotated[int, msgspec.Meta(ge=1, le=MAX_TOP_K)] | None = None
    min_relevance: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None = None
    """The relevance gate (0-1); the agent's ``retrieval.min_relevance`` when absent."""


class DocumentRef(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str


class SearchHitOut(msgspec.Struct, frozen=True, kw_only=True):
    document: DocumentRef
    chunk_id: str
    position: int
    text: str
    heading_path: list[str]
    score: float
    similarity: float | None
    relevance: float | None

    @classmethod
    def of(cls, hit: DocumentHit) -> SearchHitOut:
        return cls(
            document=DocumentRef(id=hit.document_id, title=hit.document_title),
            chunk_id=hit.chunk_id,
            position=hit.position,
            text=hit.text,
            heading_path=list(hit.heading_path),
            score=hit.score,
            similarity=hit.similarity,
            relevance=hit.relevance,
        )


class SearchOut(msgspec.Struct, frozen=True, kw_only=True):
    data: list[SearchHitOut]


class LimitsOut(msgspec.Struct, frozen=True, kw_only=True):
    max_file_bytes: int
    max_pages: int
    max_document_characters: int
    max_documents: int
    max_characters: int


class KnowledgeBaseOut(msgspec.Struct, frozen=True, kw_only=True):
    agent_id: str
    embedding_model: str
    pending_embedding_model: str | None
    documents: int
    characters: int
    limits: LimitsOut

    @classmethod
    def of(cls, base: KnowledgeBase, totals: KnowledgeBaseTotals, limits: DocumentLimits) -> KnowledgeBaseOut:
        return cls(
            agent_id=base.agent_id,
            embedding_model=base.embedding_model,
            pending_embedding_model=base.pending_model,
            documents=totals.documents,
            characters=totals.characters,
            limits=LimitsOut(
                max_file_bytes=limits.max_file_bytes,
                max_pages=limits.max_pages,
                max_document_characters=limits.max_document_chars,
                max_documents=limits.max_documents_per_agent,
                max_characters=limits.max_agent_chars,
            ),
        )


class EmbeddingModelIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    model: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
