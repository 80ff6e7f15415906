"""The local text extractor on real files of every supported type, and on bad ones."""

from __future__ import annotations

import io
import zipfile

import pytest
from testkit.documents import docx_bytes, pdf_bytes

from aioomi.adapters.local.text_extractor import LocalTextExtractor
from aioomi.domain.model.knowledge import DocumentKind, UnreadableDocument, UnsupportedDocumentType

extractor = LocalTextExtractor()


def test_pdf_text_is_extracted_whatever_the_declared_name() -> None:
    data = pdf_bytes(["Refund policy", "Refunds are issued within 14 days."])
    result = extractor.extract(data, filename="upload.txt", content_type="text/plain")
    assert result.kind is DocumentKind.PDF and result.pages == 1
    assert "Refunds are issued within 14 days." in result.text


def test_encrypted_pdf_is_refused_with_a_reason() -> None:
    with pytest.raises(UnreadableDocument, match="password"):
        extractor.extract(pdf_bytes(["secret"], password="hunter2"), filename="locked.pdf")


def test_corrupt_pdf_is_refused_with_a_reason() -> None:
    data = pdf_bytes(["fine"])[:60] + b"\x00garbage" * 10
    with pytest.raises(UnreadableDocument, match="damaged") as caught:
        extractor.extract(data, filename="broken.pdf")
    assert caught.value.code == "document_unreadable"


def test_docx_keeps_headings_and_tables() -> None:
    result = extractor.extract(docx_bytes(), filename="handbook.docx")
    assert result.kind is DocumentKind.DOCX and result.title == "Shop handbook"
    assert "# Returns" in result.text and "## Fees" in result.text
    assert "| Service | Fee |\n|---|---|\n| Express | 9 EUR |" in result.text
    assert result.text.index("## Fees") < result.text.index("| Service") < result.text.index("charged once")


def test_html_keeps_headings_and_tables_and_drops_scripts() -> None:
    html = (
        b"<html><head><title>Help</title><script>var x = 'tracking';</script></head><body>"
        b"<h1>Delivery</h1><p>We ship   worldwide.</p><table><tr><th>Zone</th><th>Days</th></tr>"
        b"<tr><td>EU</td><td>3</td></tr></table></body></html>"
    )
    result = extractor.extract(html, filename="help")
    assert result.kind is DocumentKind.HTML and result.title == "Help"
    assert "# Delivery\n\nWe ship worldwide." in result.text
    assert "| Zone | Days |\n|---|---|\n| EU | 3 |" in result.text
    assert "tracking" not in result.text


def test_csv_becomes_a_table_with_its_header() -> None:
    result = extractor.extract("name;price\nTea;3\nCafé;4\n".encode(), filename="prices.csv")
    assert result.kind is DocumentKind.CSV
    assert result.text == "| name | price |\n|---|---|\n| Tea | 3 |\n| Café | 4 |"


def test_markdown_and_text_pass_through() -> None:
    assert extractor.extract(b"# Title\n\nBody", filename="a.md").kind is DocumentKind.MARKDOWN
    result = extractor.extract("\ufeffPlain café".encode(), filename="a.txt")
    assert result.kind is DocumentKind.TEXT and result.text == "Plain café"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "old Microsoft Office"),
        (b"\x00\x01\x02binary\x00", "binary file"),
    ],
)
def test_unsupported_types_are_detected_from_content(data: bytes, reason: str) -> None:
    with pytest.raises(UnsupportedDocumentType, match=reason) as caught:
        extractor.extract(data, filename="looks-fine.txt")
    assert caught.value.code == "document_type_unsupported"


def test_a_zip_that_is_no_format_read_is_unsupported_with_the_accepted_types_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:  # an OpenDocument text: a ZIP, but not a format read
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(UnsupportedDocumentType) as caught:
        extractor.extract(out.getvalue(), filename="book.docx")
    assert caught.value.detail == (
        "This file looks like a ZIP archive, which cannot be read; upload plain text, Markdown, HTML, PDF, "
        "Word (.docx), Excel (.xlsx), PowerPoint (.pptx), EPUB or CSV."
    )


def test_empty_file_is_refused() -> None:
    with pytest.raises(UnreadableDocument, match="empty"):
        extractor.extract(b"  \n", filename="a.txt")


def test_the_title_a_file_holds_is_returned() -> None:
    page = b'<html><head><meta property="og:title" content="Returns and refunds"></head><body><p>Hi.</p></body></html>'
    assert extractor.extract(page, filename="p.html").title == "Returns and refunds"  # no <title>: og:title
    titled = b'<html><head><title>FAQ</title><meta property="og:title" content="Other"></head><body>x</body></html>'
    assert extractor.extract(titled, filename="p.html").title == "FAQ"
    assert extractor.extract(docx_bytes(), filename="h.docx").title == "Shop handbook"
