"""Telling a file's type from its first bytes, with the declared name as a tie-breaker for
plain text formats (a CSV and a text file look alike)."""

from __future__ import annotations

import zipfile
import zlib

from aioomi.adapters.local.zip_guard import DEFAULT_ZIP_LIMITS, ZipLimits, open_zip
from aioomi.domain.model.knowledge import DocumentKind, UnsupportedDocumentType

SUPPORTED = "plain text, Markdown, HTML, PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), EPUB or CSV"

_KNOWN_BINARIES = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc, .xls or .ppt)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"ID3", "an MP3 file"),
]


def _unsupported(what: str) -> UnsupportedDocumentType:
    return UnsupportedDocumentType(f"This file looks like {what}, which cannot be read; upload {SUPPORTED}.")


def detect_kind(
    data: bytes, filename: str, content_type: str | None, zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS
) -> DocumentKind:
    """The document's kind, from its content first; raises for binary formats we do not read.
    A ZIP archive passes ``zip_limits`` before anything reads it (decompression bombs)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return DocumentKind.PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with open_zip(data, zip_limits) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:100].strip() if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, zlib.error):
            raise _unsupported("a damaged ZIP archive") from None
        if "word/document.xml" in names:
            return DocumentKind.DOCX
        if "xl/workbook.xml" in names:
            return DocumentKind.XLSX
        if "ppt/presentation.xml" in names:
            return DocumentKind.PPTX
        if mimetype == b"application/epub+zip" and "META-INF/container.xml" in names:
            return DocumentKind.EPUB
        raise _unsupported("a ZIP archive")
    for magic, what in _KNOWN_BINARIES:
        if head.startswith(magic):
            raise _unsupported(what)
    if head[4:8] == b"ftyp" or head.startswith(b"RIFF"):
        raise _unsupported("an audio or video file")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _unsupported("a binary file")
    name = filename.lower()
    ctype = (content_type or "").split(";")[0].strip().lower()
    start = data[:1024].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<body" in data[:4096].lower():
        return DocumentKind.HTML
    if name.endswith((".html", ".htm")) or ctype == "text/html":
        return DocumentKind.HTML
    if name.endswith(".csv") or ctype in ("text/csv", "application/csv"):
        return DocumentKind.CSV
    if name.endswith((".md", ".markdown")) or ctype == "text/markdown":
        return DocumentKind.MARKDOWN
    return DocumentKind.TEXT
