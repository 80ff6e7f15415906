"""Chunking with semantic-text-splitter (structure-aware, Rust) and OpenAI token counts;
Markdown tables are cut by rows, each piece headed by the table's header."""

from __future__ import annotations

import re

from semantic_text_splitter import MarkdownSplitter

from aioomi.adapters.local.token_counter import count_tokens
from aioomi.domain.model.knowledge import Chunk, ExtractedText, content_hash

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_TABLE_SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


class MarkdownChunker:
    """:class:`aioomi.ports.chunker.Chunker`: chunks of at most ``target_tokens`` tokens
    (cl100k_base) where the text allows, split at headings first, then paragraphs, sentences
    and words, with up to ``overlap_tokens`` of overlap between neighbours. A table is split
    between rows and every piece starts with the header row."""

    def __init__(self, target_tokens: int = 500, overlap_tokens: int = 50) -> None:
        self._target = target_tokens
        self._splitter = MarkdownSplitter.from_callback(count_tokens, target_tokens, overlap=overlap_tokens)

    def chunk(self, document: ExtractedText) -> list[Chunk]:
        text = document.text
        headings = [(m.start(), len(m[1]), m[2].strip()) for m in _HEADING.finditer(text)]
        pieces: list[tuple[int, int, str]] = []
        for start, end, is_table in _segments(text):
            if is_table:
                pieces.extend(self._table_pieces(text, start, end))
            else:
                for offset, piece in self._splitter.chunk_indices(text[start:end]):
                    pieces.append((start + offset, start + offset + len(piece), piece))
        return [
            Chunk(
                text=piece,
                position=position,
                heading_path=_path_at(headings, start),
                char_start=start,
                char_end=end,
                token_count=count_tokens(piece),
                content_hash=content_hash(piece),
            )
            for position, (start, end, piece) in enumerate(p for p in pieces if p[2].strip())
        ]

    def _table_pieces(self, text: str, start: int, end: int) -> list[tuple[int, int, str]]:
        lines, offset = [], start
        for line in text[start:end].split("\n"):
            lines.append((offset, line))
            offset += len(line) + 1
        header = "\n".join(line for _, line in lines[:2])
        budget = self._target - count_tokens(header)
        pieces: list[tuple[int, int, str]] = []
        rows: list[tuple[int, str]] = []
        used = 0
        for row_start, row in lines[2:]:
            cost = count_tokens(row) + 1
            if rows and used + cost > budget:
                pieces.append(_table_piece(header, rows))
                rows, used = [], 0
            rows.append((row_start, row))
            used += cost
        if rows or not pieces:
            pieces.append(_table_piece(header, rows) if rows else (start, end, header))
        return pieces


def _table_piece(header: str, rows: list[tuple[int, str]]) -> tuple[int, int, str]:
    body = "\n".join(row for _, row in rows)
    return rows[0][0], rows[-1][0] + len(rows[-1][1]), f"{header}\n{body}"


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """``(start, end, is_table)`` spans covering ``text``: Markdown tables and the prose between."""
    lines = text.split("\n")
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    segments: list[tuple[int, int, bool]] = []
    prose_start, i = 0, 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_SEPARATOR.match(lines[i + 1].strip()):
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            if starts[i] > prose_start:
                segments.append((prose_start, starts[i], False))
            table_end = starts[j - 1] + len(lines[j - 1])
            segments.append((starts[i], table_end, True))
            prose_start, i = table_end, j
        else:
            i += 1
    if prose_start < len(text):
        segments.append((prose_start, len(text), False))
    return segments


def _path_at(headings: list[tuple[int, int, str]], offset: int) -> tuple[str, ...]:
    stack: list[tuple[int, str]] = []
    for start, level, title in headings:
        if start > offset:
            break
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
    return tuple(title for _, title in stack)
