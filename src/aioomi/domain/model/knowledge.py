"""Knowledge bases: chunks of the owner's documents, search results, and the pure rules of
retrieval (limits, reciprocal-rank fusion, BM25 term weights).

Every stored chunk belongs to one account and one agent; every search names both.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Sequence
from enum import StrEnum
from typing import TypeVar

import msgspec

from aioomi.domain.model.errors import AioomiError, InvalidInput, PermanentFailure, Unavailable

MAX_TOP_K = 100
DEFAULT_TOP_K = 8
RRF_K = 60
MAX_CHUNKS_PER_DOCUMENT = 20_000
MAX_QUERY_CHARS = 4_000
TITLE_TERM_WEIGHT = 2
"""In BM25, a term of the chunk's document title or heading path counts as this many
occurrences in its body: a title match weighs more than a body match (both stores use it; the
Postgres store in the ``terms`` of its postings). Measured on SciFact dev, see docs/knowledge.md."""
TITLE_SEPARATOR = " › "

K = TypeVar("K", bound=Hashable)


class Chunk(msgspec.Struct, frozen=True, kw_only=True):
    """One piece of a document's text, small enough to embed and to quote.

    ``position`` is its order in the document (0-based); ``heading_path`` the headings it sits
    under, outermost first; ``char_start``/``char_end`` its span in the extracted text (the
    text may repeat table headers or overlap its neighbour, so ``text`` is not always that
    slice verbatim); ``content_hash`` is :func:`content_hash` of ``text``.
    """

    text: str
    position: int
    heading_path: tuple[str, ...] = ()
    char_start: int = 0
    char_end: int = 0
    token_count: int = 0
    content_hash: str = ""
    title: str = ""
    """The document's title: searched with the chunk (a weighted lexical field, and the first
    line of the embedded text), so a document is found by what it is called."""

    def heading_line(self) -> str:
        """``title › heading › …``: where the chunk sits, as one line."""
        return TITLE_SEPARATOR.join(p for p in (self.title.strip(), *(h.strip() for h in self.heading_path)) if p)

    def embedding_text(self) -> str:
        """What the dense signal embeds: the heading line, then the text."""
        line = self.heading_line()
        return f"{line}\n\n{self.text}" if line else self.text


def titled(chunks: Sequence[Chunk], title: str) -> list[Chunk]:
    """``chunks`` searched under the document title ``title``; each ``content_hash`` becomes the
    hash of the text that is embedded, so a renamed document's chunks are embedded again."""
    out = []
    for c in chunks:
        c = msgspec.structs.replace(c, title=title)
        out.append(msgspec.structs.replace(c, content_hash=content_hash(c.embedding_text())))
    return out


class EmbeddedChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk with its vector, ready to store."""

    chunk: Chunk
    embedding: list[float]


class StoredChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk as the store holds it."""

    id: str
    account_id: str
    agent_id: str
    document_id: str
    chunk: Chunk
    embedding_model: str
    dimensions: int


class HitDocument(msgspec.Struct, frozen=True, kw_only=True):
    """The document a hit belongs to, when the chunk store read it with the hit (one statement
    instead of a second read): its title and, for a page fetched from a URL, its address."""

    title: str
    source_url: str | None = None


class ScoredChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A search hit. ``score`` is the fused score (higher is better); ``dense_rank`` and
    ``lexical_rank`` are its 1-based ranks in each signal (``None`` when absent from it);
    ``similarity`` is the cosine similarity to the query vector, when known."""

    chunk_id: str
    document_id: str
    position: int
    text: str
    heading_path: tuple[str, ...] = ()
    score: float
    similarity: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    document: HitDocument | None = None
    """The hit's document, when the store read it with the hit; ``None``: not read (or gone)."""


class RetrievalSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How many chunks a search returns and how relevant they must be.

    ``min_similarity`` is a floor on the cosine similarity of the dense signal: a chunk below it
    counts only if the lexical signal found it (shares a query term). With both, a question
    nothing in the knowledge base answers returns no chunk at all.
    """

    top_k: int = DEFAULT_TOP_K
    min_similarity: float = 0.0

    def __post_init__(self) -> None:
        check_top_k(self.top_k)
        if not -1.0 <= self.min_similarity <= 1.0:
            raise InvalidInput("min_similarity must be between -1 and 1.", field="min_similarity")


class RelevanceScale(msgspec.Struct, frozen=True, kw_only=True):
    """How sure the assistant is that a passage bears on a question, from 0 to 1, read off the
    cosine similarity of the query's and the passage's vectors for one embedding model.

    Similarities mean different things for different models (a static word-vector model puts
    unrelated texts near 0.2, OpenAI's text-embedding-3 models near 0.1), so each model has its
    own calibration: ``floor`` (typical of unrelated text) is relevance 0, ``gate`` (the measured
    threshold that separates answerable from off-topic questions) is relevance 0.5 — the
    default :data:`DEFAULT_MIN_RELEVANCE` — and ``ceiling`` (a passage that answers almost
    verbatim) is 1; linear in between. See docs/knowledge.md for the data behind each number.
    """

    floor: float
    gate: float
    ceiling: float
    gate_per_decade: float = 0.0
    """How far the gate moves for a knowledge base ten times larger or smaller than
    ``gate_at_chunks``, the size it was measured at: an unrelated question's best similarity grows
    with the number of chunks it meets (the maximum of more draws)."""
    gate_at_chunks: int = 1
    min_gate: float = 0.0
    max_gate: float = 1.0

    def for_size(self, chunks: int) -> RelevanceScale:
        """The scale for a knowledge base of ``chunks`` chunks (the gate moved, clamped)."""
        if not self.gate_per_decade or chunks <= 0:
            return self
        moved = self.gate + self.gate_per_decade * math.log10(chunks / self.gate_at_chunks)
        gate = min(max(moved, self.min_gate), self.max_gate)
        return msgspec.structs.replace(self, gate=gate, gate_per_decade=0.0)

    def relevance(self, similarity: float) -> float:
        if similarity <= self.floor:
            return 0.0
        if similarity <= self.gate:
            return 0.5 * (similarity - self.floor) / (self.gate - self.floor)
        if similarity >= self.ceiling:
            return 1.0
        return 0.5 + 0.5 * (similarity - self.gate) / (self.ceiling - self.gate)


DEFAULT_MIN_RELEVANCE = 0.5
"""The owner's default "how sure must the assistant be": exactly the calibrated gate."""

# Calibrations (docs/knowledge.md, "The relevance gate"). WordLlama: measured on SciFact dev with
# bench/answerability.py's 100 general questions (best-passage similarity: general questions
# median 0.24, 95th percentile 0.38; answerable claims median 0.56, 10th percentile 0.42).
# text-embedding-3-small: no OpenAI is reachable here, so from published behaviour (unrelated
# texts 0.0–0.15, matching query/passage pairs 0.35–0.65); to be measured against the real API.
# The WordLlama gate follows the knowledge base's size: the 95th percentile of the general
# questions' best similarity was 0.20 / 0.23 / 0.28 / 0.32 / 0.37 / 0.39 against 30 / 100 / 300 /
# 1,000 / 3,000 / 5,548 SciFact chunks (about +0.09 per tenfold), and 0.29 against Aioomi's own
# docs (106 chunks); clamped to 0.30–0.45.
RELEVANCE_SCALES: dict[str, RelevanceScale] = {
    "wordllama-l2-supercat-256": RelevanceScale(
        floor=0.15, gate=0.40, ceiling=0.75, gate_per_decade=0.09, gate_at_chunks=5_548, min_gate=0.30, max_gate=0.45
    ),
    "text-embedding-3-small": RelevanceScale(floor=0.10, gate=0.30, ceiling=0.65),
    "text-embedding-3-large": RelevanceScale(floor=0.10, gate=0.30, ceiling=0.65),
}
GENERIC_RELEVANCE = RelevanceScale(floor=0.0, gate=0.30, ceiling=0.80)
"""For a model nobody calibrated: unrelated unit vectors are near 0."""


DEFAULT_RERANK_GATE = 0.5
"""The reranker score read as the gate (relevance 0.5): the /rerank APIs (Cohere, Jina, and
TEI, vLLM and Infinity by default) answer 0–1 scores, and 0.5 is a cross-encoder judging a
passage more likely relevant than not. Not measured here (no reranker runs offline): an
operator moves it with ``AIOOMI_RERANK_GATE``."""


def rerank_relevance_scale(gate: float = DEFAULT_RERANK_GATE) -> RelevanceScale:
    """The owner's 0–1 scale read off a reranker's 0–1 scores: 0 is 0, ``gate`` is the gate
    (relevance 0.5), 1 is 1, linear in between (a score outside 0–1 is clamped)."""
    if not 0.0 < gate < 1.0:
        raise InvalidInput("The reranker's gate must be between 0 and 1 (exclusive).", field="rerank_gate")
    return RelevanceScale(floor=0.0, gate=gate, ceiling=1.0)


def passage_relevance(
    similarity: float | None, rerank_score: float | None, *, dense: RelevanceScale, rerank: RelevanceScale
) -> float | None:
    """How relevant a passage is on the owner's 0–1 scale, from the best evidence there is: the
    reranker's score when it scored the passage (a cross-encoder reads the question and the
    passage together, which a similarity of two separate vectors cannot), else the cosine
    similarity on the embedding model's scale, else ``None`` (nothing measured it)."""
    if rerank_score is not None and math.isfinite(rerank_score):
        return rerank.relevance(rerank_score)
    if similarity is not None:
        return dense.relevance(similarity)
    return None


CHARS_PER_CHUNK = 1_400
"""Characters of extracted text per chunk, on average (SciFact and Aioomi's docs alike): a
knowledge base's size in chunks, estimated from its characters."""


def relevance_scale(embedding_model: str, chunks: int = 0) -> RelevanceScale:
    """The calibrated scale of ``embedding_model`` for a knowledge base of ``chunks`` chunks."""
    return RELEVANCE_SCALES.get(embedding_model, GENERIC_RELEVANCE).for_size(chunks)


class DocumentKind(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"
    CSV = "csv"
    XLSX = "xlsx"
    PPTX = "pptx"
    EPUB = "epub"


class ExtractedText(msgspec.Struct, frozen=True, kw_only=True):
    """A document's text with its structure kept as Markdown: headings as ``#`` lines,
    paragraphs separated by blank lines, tables (and CSV files) as Markdown tables whose first
    row is the header, so a chunker can repeat it. ``pages`` counts PDF pages (0 otherwise)."""

    kind: DocumentKind
    text: str
    title: str | None = None
    pages: int = 0


class KnowledgeError(AioomiError):
    code = "knowledge_error"
    title = "The knowledge base could not do that"


class UnreadableDocument(InvalidInput):
    """The file cannot be turned into text: corrupt, encrypted, empty or of an unsupported
    type. ``detail`` says which, in words an owner understands."""

    code = "document_unreadable"
    title = "The document cannot be read"


class UnsupportedDocumentType(UnreadableDocument):
    code = "document_type_unsupported"
    title = "This type of document is not supported"


class ExtractionLimitExceeded(UnreadableDocument, PermanentFailure):
    """Reading the file would break a limit (pages, characters, a ZIP archive's sizes, the
    extraction's memory or time): refused for good, never retried."""

    code = "extraction_limit_exceeded"
    title = "The document is over a processing limit"


class EmbeddingDimensionMismatch(InvalidInput):
    code = "embedding_dimension_mismatch"
    title = "The vectors do not have the model's dimensions"


class EmbeddingUnavailable(Unavailable):
    """The embedding provider failed or could not be reached; retrying later may help."""

    code = "embedding_unavailable"
    title = "The embedding provider is unavailable"


class EmbeddingRejected(KnowledgeError):
    """The embedding provider refused the request for good (bad key, bad input): retrying
    the same request will not help."""

    code = "embedding_rejected"
    title = "The embedding provider rejected the request"


class RerankUnavailable(Unavailable):
    """The reranker failed, timed out or answered something unreadable: search keeps the fused
    order (the turn never fails for it)."""

    code = "rerank_unavailable"
    title = "The reranker is unavailable"


def content_hash(text: str) -> str:
    """Stable fingerprint of a chunk's text: equal text, equal hash, so an unchanged chunk
    keeps its embedding when its document is uploaded again."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def check_top_k(top_k: int) -> int:
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}.", field="top_k")
    return top_k


def check_embeddings(chunks: Sequence[EmbeddedChunk]) -> int:
    """The common dimension of ``chunks``' vectors (0 when there are none); raises when they
    differ, are empty or hold a non-finite number."""
    if len(chunks) > MAX_CHUNKS_PER_DOCUMENT:
        raise InvalidInput(f"A document may have at most {MAX_CHUNKS_PER_DOCUMENT} chunks.")
    dims = {len(c.embedding) for c in chunks}
    if len(dims) > 1 or 0 in dims:
        raise EmbeddingDimensionMismatch("Every chunk of a document needs a vector of the same, non-zero size.")
    for c in chunks:
        if not all(math.isfinite(x) for x in c.embedding):
            raise InvalidInput("An embedding holds a value that is not a finite number.")
    return dims.pop() if dims else 0


def candidate_pool(top_k: int) -> int:
    """How many candidates each signal contributes to fusion for a search of ``top_k``."""
    return min(max(4 * top_k, 40), 1000)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Fuse ranked lists: each item scores ``sum(weight / (k + rank))`` over the lists it is
    in (rank 1-based, counted after dropping repeats within the list). Returns
    ``(item, score)`` best first; ties keep the order of first appearance."""
    if k < 0:
        raise InvalidInput("The RRF constant k must not be negative.")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings) or any(w < 0 for w in weights):
        raise InvalidInput("RRF needs one non-negative weight per ranking.")
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(dict.fromkeys(ranking), start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


class Bm25(msgspec.Struct, frozen=True, kw_only=True):
    """Okapi BM25 with Lucene's non-negative IDF; the Postgres and the memory stores share it."""

    k1: float = 1.2
    b: float = 0.75

    def idf(self, doc_count: int, doc_freq: int) -> float:
        return math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))

    def term_score(self, tf: int, length: int, avg_length: float, idf: float) -> float:
        norm = self.k1 * (1.0 - self.b + self.b * length / avg_length) if avg_length > 0 else self.k1
        return idf * tf * (self.k1 + 1.0) / (tf + norm)


class HybridFusion(msgspec.Struct, frozen=True, kw_only=True):
    """Weights of the two signals in reciprocal-rank fusion (tuned on SciFact, see
    docs/knowledge.md)."""

    k: int = RRF_K
    dense_weight: float = 1.0
    lexical_weight: float = 1.0


# Fusion chosen per embedding model by 5-fold cross-validation (bench/retrieval_quality.py,
# SciFact dev, titles indexed): with WordLlama's weak dense signal, equal-weight RRF scores below
# BM25 alone; a sharp k and half weight on the dense ranks, the folds' choice, gives 0.712 on
# held-out queries (BM25 0.702, above it on every fold). Models not listed get textbook RRF.
TUNED_FUSION: dict[str, HybridFusion] = {
    "wordllama-l2-supercat-256": HybridFusion(k=2, dense_weight=0.5),
}


def fusion_for(embedding_model: str) -> HybridFusion:
    """The fusion weights for searches of ``embedding_model``'s vectors."""
    return TUNED_FUSION.get(embedding_model, HybridFusion())


class SearchCandidate(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk one or both signals found, before fusion."""

    chunk_id: str
    document_id: str
    position: int
    text: str
    heading_path: tuple[str, ...] = ()
    similarity: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    document: HitDocument | None = None


def fuse(
    candidates: Sequence[SearchCandidate], *, top_k: int, min_similarity: float, fusion: HybridFusion
) -> list[ScoredChunk]:
    """The ``top_k`` best candidates by weighted RRF of their dense and lexical ranks.

    A dense rank whose similarity is under ``min_similarity`` does not count, and a candidate
    left with no rank is dropped. Ties are broken by chunk id, so results are deterministic.
    """
    check_top_k(top_k)
    kept: dict[str, SearchCandidate] = {}
    for c in candidates:
        if c.dense_rank is not None and (c.similarity is None or c.similarity < min_similarity):
            c = msgspec.structs.replace(c, dense_rank=None)
        if c.dense_rank is not None or c.lexical_rank is not None:
            kept[c.chunk_id] = c
    dense = sorted((c for c in kept.values() if c.dense_rank is not None), key=lambda c: c.dense_rank or 0)
    lexical = sorted((c for c in kept.values() if c.lexical_rank is not None), key=lambda c: c.lexical_rank or 0)
    fused = reciprocal_rank_fusion(
        [[c.chunk_id for c in dense], [c.chunk_id for c in lexical]],
        k=fusion.k,
        weights=[fusion.dense_weight, fusion.lexical_weight],
    )
    dense_ranks = {c.chunk_id: i for i, c in enumerate(dense, start=1)}
    lexical_ranks = {c.chunk_id: i for i, c in enumerate(lexical, start=1)}
    fused.sort(key=lambda pair: (-pair[1], pair[0]))
    results = []
    for chunk_id, score in fused[:top_k]:
        c = kept[chunk_id]
        results.append(
            ScoredChunk(
                chunk_id=c.chunk_id,
                document_id=c.document_id,
                position=c.position,
                text=c.text,
                heading_path=c.heading_path,
                score=score,
                similarity=c.similarity,
                dense_rank=dense_ranks.get(chunk_id),
                lexical_rank=lexical_ranks.get(chunk_id),
                document=c.document,
            )
        )
    return results


# --- The lexical index: bounded reading of postings (issue 15) ------------------------------


class LexicalIndex(msgspec.Struct, frozen=True, kw_only=True):
    """How a lexical search bounds what it reads, whatever the size of the agent.

    ``max_query_terms``: only the query's most selective terms count (lowest document
    frequency first, ties by term), so an 80-word question costs what a 32-word one does.
    ``postings_per_term``: per term, at most this many postings are read, highest impact
    (:func:`bm25_impact`) first — a term in 40% of 100,000 chunks reads that many rows, not
    40,000. A term with fewer postings is read whole, so scores are exact BM25 whenever no query
    term is that common. ``impact_drift``: the impacts are computed with a reference average
    length; once the agent's average length is further than this (relative) from it, the
    refresh job recomputes them (:func:`impacts_stale`). The drift never changes a score (scores
    use the current statistics), only which of a very common term's postings are read first.
    """

    max_query_terms: int = 32
    postings_per_term: int = 1000
    impact_drift: float = 0.1

    def __post_init__(self) -> None:
        if self.max_query_terms < 1 or self.postings_per_term < 1 or not 0.0 < self.impact_drift < 1.0:
            raise InvalidInput(
                "The lexical index needs at least one term and one posting per term, and a drift in (0, 1)."
            )


class LexicalIndexKey(msgspec.Struct, frozen=True, kw_only=True):
    """One lexical index: the postings of one agent's chunks under one embedding model."""

    account_id: str
    agent_id: str
    embedding_model: str


def bm25_impact(bm25: Bm25, tf: int, length: int, avg_length: float) -> float:
    """A posting's BM25 weight without the IDF: ``tf·(k1+1) / (tf + k1·(1 − b + b·length/avg))``.

    Multiplied by the term's IDF it is the term's BM25 score; within one term, ordering postings
    by it is ordering them by score. Written in the same order of operations as the SQL of the
    Postgres store, so both stores compute the same double (then round it to a 4-byte float).
    """
    return tf * (bm25.k1 + 1.0) / (tf + bm25.k1 * (1.0 - bm25.b + bm25.b * length / avg_length))


def selective_terms(doc_freq: dict[str, int], limit: int) -> list[str]:
    """The query terms a search reads: those present in the agent (df > 0), the rarest first
    (highest IDF), ties by term, at most ``limit``."""
    return sorted((t for t, df in doc_freq.items() if df > 0), key=lambda t: (doc_freq[t], t))[:limit]


def impacts_stale(reference_avg_length: float | None, avg_length: float, drift: float) -> bool:
    """Whether an agent's impacts need recomputing: never computed (``None``), or computed with
    an average length more than ``drift`` (relative) away from the current one."""
    if reference_avg_length is None:
        return True
    return abs(avg_length / reference_avg_length - 1.0) > drift
