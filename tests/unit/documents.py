"""Small real documents made in the test process (no files checked in)."""

from __future__ import annotations

import io
import zipfile

import docx
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def pdf_bytes(lines: list[str], password: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds ``lines``."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    })
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
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
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
