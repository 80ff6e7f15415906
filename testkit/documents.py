"""Small real documents made in the test process (no files checked in)."""

from __future__ import annotations

import datetime
import io
import zipfile

import docx
import openpyxl
import pptx
from pptx.util import Inches
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def pdf_bytes(lines: list[str], password: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds ``lines``."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = DecodedStreamObject()
    stream.set_data("\n".join(ops).encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    if password:
        writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Shop handbook"
    document.add_heading("Returns", level=1)
    document.add_paragraph("Customers may return items within thirty days.")
    document.add_heading("Fees", level=2)
    table = document.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Service", "Fee"), ("Express", "9 EUR"), ("Gift wrap", "2 EUR")]):
        table.rows[r].cells[0].text = a
        table.rows[r].cells[1].text = b
    document.add_paragraph("Fees are charged once per order.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(unpacked_bytes: int = 20 * 1024 * 1024) -> bytes:
    """A real Word document whose ``word/document.xml`` is replaced by one that inflates to
    ``unpacked_bytes`` (the same short paragraph over and over): some 60 KB on disk, the
    shape of the decompression bomb in issue 12."""
    original = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    paragraph = b"<w:p><w:r><w:t>All work and no play makes a dull parser.</w:t></w:r></w:p>"
    body = head + paragraph * ((unpacked_bytes - len(head) - len(tail)) // len(paragraph)) + tail
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in original.infolist():
            data = body if member.filename == "word/document.xml" else original.read(member)
            bomb.writestr(member.filename, data, compresslevel=9)
    return out.getvalue()


def blank_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` empty pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def many_page_pdf(pages: int, line: str) -> bytes:
    """``pages`` pages, each holding ``line`` as text."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_page(PdfReader(io.BytesIO(pdf_bytes([line]))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def xlsx_bytes(extra_rows: int = 0) -> bytes:
    """A workbook titled "Price list" with two sheets: "Fees" (a header row, two rows and
    ``extra_rows`` more) and "Opening hours"; an empty third sheet."""
    workbook = openpyxl.Workbook()
    workbook.properties.title = "Price list"
    fees = workbook.active
    fees.title = "Fees"
    fees.append(["Service", "Fee", "Since"])
    fees.append(["Express", 9, datetime.date(2024, 3, 1)])
    fees.append(["Gift wrap", 2.5, None])
    for i in range(extra_rows):
        fees.append([f"Service number {i} with a longer description", i, None])
    hours = workbook.create_sheet("Opening hours")
    hours.append(["Day", "Opens", "Closes"])
    hours.append(["Monday", "9:00", "17:00"])
    workbook.create_sheet("Empty")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pptx_bytes() -> bytes:
    """A deck titled "Onboarding": a slide with a title, a bullet list and speaker notes, and a
    blank-layout slide with only a text box."""
    deck = pptx.Presentation()
    deck.core_properties.title = "Onboarding"
    slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    slide.shapes.title.text = "Returns policy"
    body = slide.placeholders[1].text_frame
    body.text = "Thirty days to return an item"
    body.add_paragraph().text = "Refunds within a week"
    slide.notes_slide.notes_text_frame.text = "Mention the receipt."
    blank = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title placeholder
    blank.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame.text = "Questions welcome"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


_EPUB_CONTAINER = b"""<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

_EPUB_PACKAGE = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:uuid:0000</dc:identifier><dc:title>The Tea Book</dc:title><dc:language>en</dc:language>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="c1" href="text/chapter%201.xhtml" media-type="application/xhtml+xml"/>
    <item id="c2" href="text/chapter2.xhtml" media-type="application/xhtml+xml"/>
    <item id="css" href="style.css" media-type="text/css"/>
  </manifest>
  <spine><itemref idref="c2"/><itemref idref="c1"/></spine>
</package>"""


def _xhtml(title: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{title}</title></head><body>{body}</body></html>"
    ).encode()


def epub_bytes() -> bytes:
    """An EPUB 3 book, "The Tea Book", whose spine puts chapter2.xhtml ("Brewing") before
    "chapter 1.xhtml" ("Green tea"); the navigation page is in the manifest, not the spine.
    Written with zipfile as the format says: ``mimetype`` first and stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", _EPUB_CONTAINER)
        book.writestr("OEBPS/content.opf", _EPUB_PACKAGE)
        book.writestr("OEBPS/nav.xhtml", _xhtml("Contents", "<nav><ol><li>Table of contents</li></ol></nav>"))
        book.writestr(
            "OEBPS/text/chapter2.xhtml",
            _xhtml(
                "Brewing",
                "<h1>Brewing</h1><p>Steep black tea for four minutes.</p><h2>Water</h2><p>Use fresh water.</p>",
            ),
        )
        book.writestr(
            "OEBPS/text/chapter 1.xhtml", _xhtml("Green tea", "<h1>Green tea</h1><p>Green tea likes cooler water.</p>")
        )
        book.writestr("OEBPS/style.css", b"body { margin: 0 }")
    return out.getvalue()


def zip_bomb(document: bytes, member: str, unpacked_bytes: int = 20 * 1024 * 1024) -> bytes:
    """``document`` (a ZIP-based file) with ``member`` padded by an XML comment to
    ``unpacked_bytes``: a well-formed part that compresses a thousand times, as a bomb does."""
    original = zipfile.ZipFile(io.BytesIO(document))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == member:
                data = data + b"<!--" + b" " * (unpacked_bytes - len(data) - 7) + b"-->"
            bomb.writestr(info.filename, data, compress_type=info.compress_type, compresslevel=9)
    return out.getvalue()
