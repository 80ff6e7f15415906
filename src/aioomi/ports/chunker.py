"""Cutting text into chunks."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.knowledge import Chunk, ExtractedText


class Chunker(Protocol):
    """Splits extracted text into chunks of about ``target_tokens`` tokens with some overlap,
    along its structure: sections under their headings, then paragraphs, then sentences.
    A table (or CSV) row never loses its header: every chunk of a table starts with it.
    Chunks come back in document order with positions 0, 1, 2, ... and their content hashes."""

    def chunk(self, document: ExtractedText) -> list[Chunk]: ...
