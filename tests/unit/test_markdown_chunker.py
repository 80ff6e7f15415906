"""The local chunker: sizes, overlap, structure, table headers, spans and hashes."""

from __future__ import annotations

from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.adapters.local.token_counter import count_tokens
from aioomi.domain.model.knowledge import DocumentKind, ExtractedText, content_hash


def doc(text: str, kind: DocumentKind = DocumentKind.MARKDOWN) -> ExtractedText:
    return ExtractedText(kind=kind, text=text)


def sentences(topic: str, n: int) -> str:
    return " ".join(f"The {topic} rule number {i} explains one more detail of the {topic} policy." for i in range(n))


def test_long_text_is_cut_into_chunks_of_the_target_size_in_order() -> None:
    text = "\n\n".join(sentences(t, 40) for t in ("refund", "shipping", "warranty"))
    chunks = MarkdownChunker(target_tokens=500, overlap_tokens=50).chunk(doc(text))
    assert len(chunks) >= 4
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(c.token_count <= 500 and c.token_count == count_tokens(c.text) for c in chunks)
    assert all(c.content_hash == content_hash(c.text) for c in chunks)
    assert all(text[c.char_start : c.char_end] == c.text for c in chunks)
    assert sum(c.token_count for c in chunks) >= count_tokens(text)


def test_neighbouring_chunks_overlap() -> None:
    text = sentences("refund", 200)
    chunks = MarkdownChunker(target_tokens=200, overlap_tokens=40).chunk(doc(text))
    assert any(b.char_start < a.char_end for a, b in zip(chunks, chunks[1:], strict=False))


def test_sections_carry_their_heading_path() -> None:
    text = f"# Handbook\n\n## Refunds\n\n{sentences('refund', 30)}\n\n## Shipping\n\n### Europe\n\n{sentences('shipping', 30)}"
    chunks = MarkdownChunker(target_tokens=300, overlap_tokens=0).chunk(doc(text))
    shipping = [c for c in chunks if "shipping rule" in c.text]
    refunds = [c for c in chunks if "refund rule" in c.text]
    assert shipping and refunds
    assert all(c.heading_path == ("Handbook", "Shipping", "Europe") for c in shipping)
    assert all(c.heading_path[:2] == ("Handbook", "Refunds") for c in refunds)
    assert not any("refund rule" in c.text and "shipping rule" in c.text for c in chunks)


def test_every_piece_of_a_table_starts_with_its_header() -> None:
    header = "| sku | product name | price |\n|---|---|---|"
    rows = [f"| A{i:04d} | Garden chair model {i} | {i}.99 |" for i in range(300)]
    chunks = MarkdownChunker(target_tokens=200, overlap_tokens=20).chunk(
        doc("\n".join([header, *rows]), DocumentKind.CSV)
    )
    assert len(chunks) > 5
    assert all(c.text.startswith(header + "\n") for c in chunks)
    body_rows = [line for c in chunks for line in c.text.split("\n")[2:]]
    assert body_rows == rows
    assert all(c.token_count <= 200 for c in chunks)


def test_prose_around_a_table_is_kept() -> None:
    text = "# Prices\n\nBefore the table.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter the table."
    chunks = MarkdownChunker().chunk(doc(text))
    joined = "\n".join(c.text for c in chunks)
    assert "Before the table." in joined and "After the table." in joined and "| 1 | 2 |" in joined
    assert all(c.heading_path == ("Prices",) for c in chunks)


def test_unchanged_text_gives_unchanged_hashes() -> None:
    text = sentences("refund", 60)
    first = MarkdownChunker(target_tokens=200).chunk(doc(text))
    second = MarkdownChunker(target_tokens=200).chunk(doc(text + "\n\nOne new closing paragraph."))
    assert {c.content_hash for c in first[:-1]} <= {c.content_hash for c in second}
