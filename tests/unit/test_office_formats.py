"""XLSX, PPTX and EPUB (issue 18, "More file types"): each read from a small file made in the
test with the format's own library (zipfile for EPUB, as the format is specified), to the text,
headings and title written here; a long sheet's header on every chunk; a decompression bomb of
each refused before a parser opens it, in this process and in the sandboxed child."""

from __future__ import annotations

import io
import zipfile

import pytest
from testkit.documents import epub_bytes, pptx_bytes, xlsx_bytes, zip_bomb

from aioomi.adapters.local.markdown_chunker import MarkdownChunker
from aioomi.adapters.local.sandboxed_extractor import SandboxedTextExtractor
from aioomi.adapters.local.text_extractor import LocalTextExtractor
from aioomi.domain.model.knowledge import DocumentKind, ExtractionLimitExceeded, UnreadableDocument

extractor = LocalTextExtractor()

XLSX_TEXT = """# Fees

| Service | Fee | Since |
|---|---|---|
| Express | 9 | 2024-03-01 |
| Gift wrap | 2.5 |  |

# Opening hours

| Day | Opens | Closes |
|---|---|---|
| Monday | 9:00 | 17:00 |"""

PPTX_TEXT = """# Returns policy

Thirty days to return an item
Refunds within a week

Speaker notes: Mention the receipt.

# Slide 2

Questions welcome"""

EPUB_TEXT = """# Brewing

Steep black tea for four minutes.

## Water

Use fresh water.

# Green tea

Green tea likes cooler water."""

FILES = {  # kind: (file, its title, its text)
    DocumentKind.XLSX: (xlsx_bytes, "Price list", XLSX_TEXT),
    DocumentKind.PPTX: (pptx_bytes, "Onboarding", PPTX_TEXT),
    DocumentKind.EPUB: (epub_bytes, "The Tea Book", EPUB_TEXT),
}

BOMBS = {  # kind: (file, the part inflated to 20 MB)
    DocumentKind.XLSX: (xlsx_bytes, "xl/worksheets/sheet1.xml"),
    DocumentKind.PPTX: (pptx_bytes, "ppt/slides/slide1.xml"),
    DocumentKind.EPUB: (epub_bytes, "OEBPS/text/chapter2.xhtml"),
}


def test_a_workbook_is_one_table_per_sheet_under_the_sheets_name_with_cells_as_they_read() -> None:
    # The empty third sheet gives nothing; 9.0 reads 9, a date without its midnight time.
    result = extractor.extract(xlsx_bytes(), filename="prices.xlsx")
    assert (result.kind, result.title, result.text) == (DocumentKind.XLSX, "Price list", XLSX_TEXT)


def test_slides_titles_are_headings_and_speaker_notes_are_kept() -> None:
    result = extractor.extract(pptx_bytes(), filename="onboarding.pptx")
    assert (result.kind, result.title, result.text) == (DocumentKind.PPTX, "Onboarding", PPTX_TEXT)


def test_an_epubs_chapters_come_in_spine_order_with_their_headings() -> None:
    # chapter2.xhtml comes first in the spine; the navigation page is not in it.
    result = extractor.extract(epub_bytes(), filename="tea.epub")
    assert (result.kind, result.title, result.text) == (DocumentKind.EPUB, "The Tea Book", EPUB_TEXT)
    assert "Table of contents" not in result.text


@pytest.mark.parametrize("kind", list(FILES), ids=str)
def test_each_format_is_told_from_its_contents_not_its_name(kind: DocumentKind) -> None:
    make, title, _ = FILES[kind]
    result = extractor.extract(make(), filename="upload.txt", content_type="text/plain")
    assert (result.kind, result.title) == (kind, title)


def test_a_long_sheets_header_row_is_on_every_chunk() -> None:
    # 300 extra rows of ~15 tokens each: far more than one chunk of 200 tokens.
    document = extractor.extract(xlsx_bytes(extra_rows=300), filename="long.xlsx")
    chunks = MarkdownChunker(target_tokens=200, overlap_tokens=20).chunk(document)
    assert [c.text for c in chunks if not c.text.startswith("|")] == ["# Fees", "# Opening hours"]
    fees = [c for c in chunks if c.heading_path == ("Fees",) and c.text != "# Fees"]
    assert len(fees) >= 10
    for chunk in fees:
        assert chunk.text.startswith("| Service | Fee | Since |\n|---|---|---|\n| "), chunk.text[:80]
    rows = [line for chunk in fees for line in chunk.text.split("\n")[2:]]
    assert len(rows) == 2 + 300 and len(set(rows)) == 302  # every row once, none lost or repeated
    assert rows[-1] == "| Service number 299 with a longer description | 299 |  |"
    hours = [c for c in chunks if c.heading_path == ("Opening hours",) and c.text != "# Opening hours"]
    assert [c.text.split("\n")[0] for c in hours] == ["| Day | Opens | Closes |"]


def test_a_sheet_stops_at_the_character_limit() -> None:
    with pytest.raises(ExtractionLimitExceeded, match="more than 2,000 characters of text; the limit is 2,000."):
        extractor.extract(xlsx_bytes(extra_rows=300), filename="long.xlsx", max_chars=2_000)


@pytest.mark.parametrize("kind", list(BOMBS), ids=str)
def test_a_bomb_of_each_format_is_refused_before_it_is_parsed(kind: DocumentKind) -> None:
    make, part = BOMBS[kind]
    bomb = zip_bomb(make(), part)
    assert len(bomb) < 150_000
    with pytest.raises(ExtractionLimitExceeded, match="decompression bomb") as caught:
        extractor.extract(bomb, filename=f"bomb.{kind}")
    assert caught.value.code == "extraction_limit_exceeded"
    assert f"part {part} unpacks from" in caught.value.detail and "to 20.0 MB" in caught.value.detail


@pytest.mark.parametrize("kind", list(FILES), ids=str)
async def test_the_sandboxed_child_reads_each_format_and_refuses_its_bomb(kind: DocumentKind) -> None:
    make, title, text = FILES[kind]
    sandbox = SandboxedTextExtractor()
    result = await sandbox.extract(make(), filename=f"file.{kind}")
    assert (result.kind, result.title, result.text) == (kind, title, text)
    with pytest.raises(ExtractionLimitExceeded, match="decompression bomb") as caught:
        await sandbox.extract(zip_bomb(make(), BOMBS[kind][1]), filename=f"bomb.{kind}")
    assert caught.value.code == "extraction_limit_exceeded"


def _rewritten(document: bytes, changes: dict[str, bytes]) -> bytes:
    original = zipfile.ZipFile(io.BytesIO(document))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in original.infolist():
            archive.writestr(info.filename, changes.get(info.filename, original.read(info)))
    return out.getvalue()


def test_an_epub_cannot_read_local_files_through_xml_entities(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    package = zipfile.ZipFile(io.BytesIO(epub_bytes())).read("OEBPS/content.opf").decode()
    package = package.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE package [<!ENTITY x SYSTEM "file://{secret}">]>',
    )
    package = package.replace("The Tea Book", "The Tea Book&x;")
    result = extractor.extract(_rewritten(epub_bytes(), {"OEBPS/content.opf": package.encode()}), filename="x.epub")
    assert result.title == "The Tea Book" and "TOP-SECRET" not in result.text


def test_a_damaged_workbook_and_a_book_without_a_package_are_unreadable_with_a_reason() -> None:
    broken = _rewritten(xlsx_bytes(), {"xl/workbook.xml": b"<not-a-workbook"})
    with pytest.raises(UnreadableDocument, match="The Excel workbook is damaged") as caught:
        extractor.extract(broken, filename="broken.xlsx")
    assert caught.value.code == "document_unreadable"
    container = b'<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles/></container>'
    with pytest.raises(UnreadableDocument, match="names no package file"):
        extractor.extract(_rewritten(epub_bytes(), {"META-INF/container.xml": container}), filename="x.epub")


def test_an_epub_whose_chapters_are_encrypted_is_refused_as_drm_protected() -> None:
    encryption = b"""<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
        xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
        <enc:CipherData><enc:CipherReference URI="OEBPS/text/chapter%201.xhtml"/></enc:CipherData>
        </enc:EncryptedData></encryption>"""
    book = io.BytesIO(epub_bytes())
    with zipfile.ZipFile(book, "a") as archive:
        archive.writestr("META-INF/encryption.xml", encryption)
    with pytest.raises(UnreadableDocument, match="protected by DRM"):
        extractor.extract(book.getvalue(), filename="locked.epub")
