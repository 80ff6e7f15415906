"""Turning an uploaded file into text."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.knowledge import ExtractedText


class TextExtractor(Protocol):
    """Detects a file's type from its content (the declared name and content type are hints)
    and extracts its text.

    Raises :class:`~aioomi.domain.model.knowledge.UnsupportedDocumentType` for a type it cannot
    read and :class:`~aioomi.domain.model.knowledge.UnreadableDocument` for a corrupt,
    encrypted or empty file, each with a reason an owner understands;
    :class:`~aioomi.domain.model.knowledge.ExtractionLimitExceeded` (a permanent failure) when
    reading it would break a limit: more than ``max_pages`` pages (checked before any page is
    read), more than ``max_chars`` characters (extraction stops there), an archive that
    unpacks too far, or the memory and time an extraction may use.
    """

    async def extract(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str | None = None,
        max_pages: int | None = None,
        max_chars: int | None = None,
    ) -> ExtractedText:
        """The text; a parser that may meet hostile input runs where it cannot block the
        caller's event loop or outlive its limits."""
        ...
