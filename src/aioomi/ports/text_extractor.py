"""Turning an uploaded file into text."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.knowledge import ExtractedText


class TextExtractor(Protocol):
    """Detects a file's type from its content (the declared name and content type are hints)
    and extracts its text.

    Raises :class:`~aioomi.domain.model.knowledge.UnsupportedDocumentType` for a type it cannot
    read and :class:`~aioomi.domain.model.knowledge.UnreadableDocument` for a corrupt,
    encrypted or empty file, each with a reason an owner understands.
    """

    def extract(self, data: bytes, *, filename: str, content_type: str | None = None) -> ExtractedText: ...
