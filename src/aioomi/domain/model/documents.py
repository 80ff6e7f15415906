"""Documents of a knowledge base: what the owner uploaded, where it is in the ingestion
pipeline, the limits it must respect, and the pure rules of ingestion (embedding batches, the
chunk store's key of a document under one embedding model).

A document goes ``queued`` → ``processing`` → ``ready`` (or ``failed`` with a reason an owner
understands). Its original file lives in the blob store, its extracted text in the document
store, its chunks and vectors in the chunk store under :func:`chunk_key`.
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

import msgspec

from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound
from aioomi.domain.model.knowledge import Chunk, DocumentKind

DOCUMENT_ID_PREFIX = "doc"
MAX_TITLE = 300
MAX_FILENAME = 255
MAX_URL = 2_048
MAX_IDEMPOTENCY_KEY = 200
MAX_INGEST_ATTEMPTS = 5

# Job kinds the document use cases enqueue (the worker maps each to its use case).
INGEST_DOCUMENT = "documents.ingest"
PURGE_DOCUMENT = "documents.purge"
SWITCH_EMBEDDING_MODEL = "knowledge.switch_model"
REINDEX_DOCUMENT = "documents.reindex"

# The OpenAI embeddings API's limits per request; batches are cut to fit both.
EMBEDDING_BATCH_INPUTS = 2_048
EMBEDDING_BATCH_TOKENS = 300_000


class DocumentStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class DocumentSource(enum.StrEnum):
    UPLOAD = "upload"
    TEXT = "text"
    URL = "url"


class Document(msgspec.Struct, frozen=True, kw_only=True):
    """One document of an agent's knowledge base.

    ``content_hash`` fingerprints the original bytes (a re-upload of the same content is
    recognised); ``version`` grows with each replacement, so a job for an older version does
    nothing; ``embedding_model`` is the model its stored chunks were embedded with (``None``
    until it has chunks); ``progress_done``/``progress_total`` count embedded chunks while it is
    ``processing``; ``source_id`` is the knowledge-base source it belongs to
    (:mod:`aioomi.domain.model.sources`).
    """

    id: str
    account_id: str
    agent_id: str
    title: str
    source: DocumentSource
    status: DocumentStatus
    content_hash: str
    blob_key: str
    size_bytes: int
    created_at: datetime
    updated_at: datetime
    source_url: str | None = None
    filename: str | None = None
    content_type: str | None = None
    kind: DocumentKind | None = None
    error: str | None = None
    progress_done: int = 0
    progress_total: int = 0
    pages: int = 0
    char_count: int = 0
    chunk_count: int = 0
    embedding_model: str | None = None
    version: int = 1
    idempotency_key: str | None = None
    processed_at: datetime | None = None
    source_id: str | None = None


class KnowledgeBase(msgspec.Struct, frozen=True, kw_only=True):
    """An agent's knowledge base as a whole: the embedding model searches use
    (``embedding_model``) and the one it is being re-embedded with (``pending_model``)."""

    account_id: str
    agent_id: str
    embedding_model: str
    pending_model: str | None = None


class KnowledgeBaseTotals(msgspec.Struct, frozen=True, kw_only=True):
    documents: int
    characters: int


class AccountDocumentTotals(msgspec.Struct, frozen=True, kw_only=True):
    """All of an account's documents (every agent, any status) and their originals' bytes."""

    documents: int
    stored_bytes: int


class DocumentLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Per file and per agent. Bytes are checked at upload; pages and characters once the
    worker has extracted the text (the document then fails with the reason)."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_pages: int = 1_000
    max_document_chars: int = 2_000_000
    max_documents_per_agent: int = 500
    max_agent_chars: int = 20_000_000


class DocumentUpload(msgspec.Struct, frozen=True, kw_only=True):
    """A document's original content as it arrives (a file, a text, a fetched page)."""

    data: bytes
    title: str | None = None
    filename: str | None = None
    content_type: str | None = None
    source: DocumentSource = DocumentSource.UPLOAD
    source_url: str | None = None


class FetchedResource(msgspec.Struct, frozen=True, kw_only=True):
    """What a URL answered: its final address (after redirects), body and content type."""

    url: str
    data: bytes
    content_type: str | None = None
    filename: str | None = None


class DocumentHit(msgspec.Struct, frozen=True, kw_only=True):
    """A search result: a chunk of a document, with the document's id and title."""

    document_id: str
    document_title: str
    chunk_id: str
    position: int
    text: str
    score: float
    heading_path: tuple[str, ...] = ()
    similarity: float | None = None
    relevance: float | None = None
    """On the owner's 0–1 scale (:class:`~aioomi.domain.model.knowledge.RelevanceScale`), from
    the reranker's score when it scored the hit, else from the cosine similarity
    (:func:`~aioomi.domain.model.knowledge.passage_relevance`); ``None`` when neither measured it."""
    source_url: str | None = None
    """The page the document was fetched from (URL documents only): where a citation links."""


# --- errors ------------------------------------------------------------------------------------


class DocumentNotFound(NotFound):
    code = "document_not_found"
    title = "Document not found"


class DocumentTooLarge(InvalidInput):
    """Over a size limit (bytes or characters): the HTTP layer answers 413."""

    code = "document_too_large"
    title = "The document is too large"


class KnowledgeBaseFull(DocumentTooLarge):
    code = "knowledge_base_full"
    title = "The knowledge base is full"


class TooManyDocuments(InvalidInput):
    code = "too_many_documents"
    title = "Too many documents"


class UrlNotAllowed(InvalidInput):
    """The address is not one Aioomi fetches (scheme, private or loopback network)."""

    code = "url_not_allowed"
    title = "This address cannot be fetched"


class UrlFetchFailed(InvalidInput):
    code = "url_fetch_failed"
    title = "The address could not be fetched"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "The Idempotency-Key was used for other content"


class EmbeddingModelUnavailable(InvalidInput):
    code = "embedding_model_unavailable"
    title = "This embedding model is not available"


# --- rules -------------------------------------------------------------------------------------


def bytes_hash(data: bytes) -> str:
    """Fingerprint of an original file: equal bytes, equal hash."""
    return hashlib.sha256(data).hexdigest()


_BLOB_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")


def check_blob_key(key: str) -> str:
    """A blob key: ``/``-separated segments of letters, digits and ``_ . -`` (no ``..``, no
    leading ``/``), so every blob store maps it safely to its own namespace."""
    if not key or len(key) > 1000 or not all(_BLOB_SEGMENT.match(p) for p in key.split("/")):
        raise InvalidInput("Not a valid blob key.", code="invalid_blob_key")
    return key


def chunk_key(document_id: str, embedding_model: str) -> str:
    """The chunk store's key of a document's chunks under one model. One key per model lets
    a re-embedding write the new model's chunks while searches still read the old ones."""
    return f"{document_id}/{embedding_model}"


def document_of(key: str) -> str:
    """The document id in a :func:`chunk_key` (ids never hold a ``/``)."""
    return key.split("/", 1)[0]


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


def check_title(raw: str | None, field: str = "title") -> str | None:
    """A title trimmed to one line of 1–300 characters, or ``None`` when none was given."""
    if raw is None:
        return None
    title = " ".join(raw.split())
    if not title:
        return None
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"Use at most {MAX_TITLE} characters for the title.", code="invalid_title", field=field)
    if _has_control(title):
        raise InvalidInput("The title contains control characters.", code="invalid_title", field=field)
    return title


UNTITLED = "Untitled document"


def readable_name(filename: str | None) -> str | None:
    """A file name as a title: ``returns_policy-2024.pdf`` → ``Returns policy 2024``."""
    if not filename:
        return None
    stem = filename.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem.strip(".") else stem
    words = re.sub(r"[_\-.+]+", " ", stem).split()
    if not words:
        return None
    text = " ".join(words)[:MAX_TITLE]
    if _has_control(text):
        return None
    return text[0].upper() + text[1:] if text.islower() else text


def default_title(upload: DocumentUpload) -> str:
    """The name an owner recognises: the given title, else the file name made readable, else
    the address (a page's own ``<title>`` replaces the last two once the worker has read it)."""
    title = check_title(upload.title)
    if title:
        return title
    name = readable_name(upload.filename)
    if name:
        return name
    url = check_title((upload.source_url or "")[:MAX_TITLE])
    return url or UNTITLED


def title_after_extraction(document: Document, extracted_title: str | None) -> str:
    """The document's title once its text is read: the title found in the file (HTML
    ``<title>``/``og:title``, PDF ``/Title``, DOCX core title) replaces a title that was only
    made from the file name or address; a title the owner gave or chose stays."""
    found = " ".join((extracted_title or "").split())[:MAX_TITLE]
    if not found or _has_control(found):
        return document.title
    made_up = {UNTITLED, readable_name(document.filename), (document.source_url or "")[:MAX_TITLE]}
    return found if document.title in made_up else document.title


def check_idempotency_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            f"The Idempotency-Key header must be 1–{MAX_IDEMPOTENCY_KEY} printable ASCII characters.",
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    return key


def check_upload_size(upload: DocumentUpload, limits: DocumentLimits) -> None:
    if not upload.data.strip():
        raise InvalidInput("The document is empty.", code="document_empty")
    if len(upload.data) > limits.max_file_bytes:
        raise DocumentTooLarge(
            f"The file has {len(upload.data):,} bytes; the limit is {limits.max_file_bytes:,} bytes."
        )
    if upload.source is DocumentSource.TEXT:
        chars = len(upload.data.decode("utf-8"))
        if chars > limits.max_document_chars:
            raise DocumentTooLarge(
                f"The text has {chars:,} characters; the limit is {limits.max_document_chars:,} per document."
            )


def extraction_problem(pages: int, chars: int, limits: DocumentLimits) -> str | None:
    """Why an extracted document breaks a per-file limit, or ``None``."""
    if pages > limits.max_pages:
        return f"The document has {pages:,} pages; the limit is {limits.max_pages:,}."
    if chars > limits.max_document_chars:
        return f"The document has {chars:,} characters of text; the limit is {limits.max_document_chars:,}."
    return None


def agent_chars_problem(current: int, adding: int, limits: DocumentLimits) -> str | None:
    if current + adding > limits.max_agent_chars:
        return (
            f"The agent's knowledge base would hold {current + adding:,} characters; "
            f"the limit is {limits.max_agent_chars:,}. Remove documents to make room."
        )
    return None


def embedding_batches(
    chunks: Sequence[Chunk], *, max_inputs: int = EMBEDDING_BATCH_INPUTS, max_tokens: int = EMBEDDING_BATCH_TOKENS
) -> list[list[int]]:
    """Indexes of ``chunks`` grouped in order into the fewest requests the embedding API
    allows: at most ``max_inputs`` chunks and ``max_tokens`` tokens (``token_count`` and the
    heading line) each."""
    # The embedded text starts with the heading line (title › headings), not in
    # ``token_count``: counted generously at one token per two characters.
    costs = [max(chunk.token_count, 1) + (len(chunk.heading_line()) + 1) // 2 for chunk in chunks]
    return batches_within(costs, max_inputs=max_inputs, max_tokens=max_tokens)


def batches_within(costs: Sequence[int], *, max_inputs: int, max_tokens: int) -> list[list[int]]:
    """Indexes of the inputs (each costing ``costs[i]`` tokens) grouped in order into the fewest
    requests of at most ``max_inputs`` inputs and ``max_tokens`` tokens each (an input costing
    more than ``max_tokens`` goes alone)."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, tokens in enumerate(costs):
        if current and (len(current) >= max_inputs or used + tokens > max_tokens):
            groups.append(current)
            current, used = [], 0
        current.append(index)
        used += tokens
    if current:
        groups.append(current)
    return groups
