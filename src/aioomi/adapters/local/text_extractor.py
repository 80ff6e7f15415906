"""Extracting text from uploaded files, offline: pypdf, python-docx, openpyxl (XLSX, read-only),
python-pptx, inscriptis (HTML, and the chapters of an EPUB, read with zipfile and lxml) and the
standard library's csv. Structure is kept as Markdown (headings, paragraphs, tables)."""

from __future__ import annotations

import csv
import datetime
import io
import logging
import posixpath
import re
import urllib.parse
import zipfile
import zlib

import docx
import lxml.html
import pypdf
from inscriptis import get_text
from lxml import etree

from aioomi.adapters.local.file_types import detect_kind
from aioomi.adapters.local.zip_guard import DEFAULT_ZIP_LIMITS, ZipLimits, open_zip
from aioomi.domain.model.knowledge import DocumentKind, ExtractedText, ExtractionLimitExceeded, UnreadableDocument

MAX_BYTES = 50 * 1024 * 1024
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_OPF = "{http://www.idpf.org/2007/opf}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_XHTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})


def markdown_table(rows: list[list[str]]) -> str:
    """Rows as a Markdown table whose first row is the header."""
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return ""

    def line(cells: list[str]) -> str:
        cells = [" ".join(c.split()).replace("|", "\\|") for c in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    return "\n".join([line(rows[0]), "|" + "---|" * width, *(line(r) for r in rows[1:])])


def too_many_chars(max_chars: int) -> ExtractionLimitExceeded:
    return ExtractionLimitExceeded(
        f"The document has more than {max_chars:,} characters of text; the limit is {max_chars:,}."
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


class LocalTextExtractor:
    """:class:`aioomi.ports.text_extractor.TextExtractor` with well-kept offline libraries.
    The type comes from the file's bytes (magic numbers, ZIP contents); the name and content
    type only choose between text formats that look alike (CSV, Markdown, plain text).

    Hostile input is bounded here (and the whole extraction runs in a limited child process,
    see :mod:`aioomi.adapters.local.sandboxed_extractor`): a ZIP-based file passes
    ``zip_limits`` before it is parsed, a PDF's page count is checked before any page is read,
    and a PDF's text stops at ``max_chars``."""

    def __init__(self, zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> None:
        self._zip_limits = zip_limits

    def extract(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str | None = None,
        max_pages: int | None = None,
        max_chars: int | None = None,
    ) -> ExtractedText:
        if len(data) > MAX_BYTES:
            raise UnreadableDocument(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        if not data.strip():
            raise UnreadableDocument("The file is empty.")
        kind = detect_kind(data, filename, content_type, self._zip_limits)
        if kind is DocumentKind.PDF:
            result = self._pdf(data, max_pages, max_chars)
        elif kind is DocumentKind.XLSX:
            result = self._xlsx(data, max_chars)
        elif kind is DocumentKind.EPUB:
            result = self._epub(data, max_chars)
        else:
            result = {
                DocumentKind.DOCX: self._docx,
                DocumentKind.PPTX: self._pptx,
                DocumentKind.HTML: self._html,
                DocumentKind.CSV: self._csv,
            }.get(kind, lambda d: ExtractedText(kind=kind, text=_decode(d)))(data)
        if not result.text.strip():
            raise UnreadableDocument("No text could be found in the file.")
        if max_chars is not None and len(result.text) > max_chars:
            raise too_many_chars(max_chars)
        return result

    def _pdf(self, data: bytes, max_pages: int | None = None, max_chars: int | None = None) -> ExtractedText:
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableDocument("The PDF is protected by a password; upload a copy without one.")
            count = len(reader.pages)  # the page tree's count: no page is read yet
            if max_pages is not None and count > max_pages:
                raise ExtractionLimitExceeded(f"The document has {count:,} pages; the limit is {max_pages:,}.")
            pages: list[str] = []
            length = 0
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                if stripped := len(pages[-1].strip()):
                    length += stripped + (2 if length else 0)  # as joined below
                if max_chars is not None and length > max_chars:
                    raise too_many_chars(max_chars)
            title = reader.metadata.title if reader.metadata else None
        except UnreadableDocument:
            raise
        except pypdf.errors.FileNotDecryptedError:
            raise UnreadableDocument("The PDF is protected by a password; upload a copy without one.") from None
        except Exception as error:  # noqa: BLE001 - pypdf raises many types on damaged files
            raise UnreadableDocument(f"The PDF is damaged and cannot be read ({type(error).__name__}).") from None
        text = "\n\n".join(p.strip() for p in pages if p.strip())
        if not text:
            raise UnreadableDocument("The PDF has no text layer (it may be scanned images); upload a searchable PDF.")
        return ExtractedText(kind=DocumentKind.PDF, text=text, title=title or None, pages=len(pages))

    def _docx(self, data: bytes) -> ExtractedText:
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as error:  # noqa: BLE001 - python-docx raises many types on damaged files
            raise UnreadableDocument(
                f"The Word document is damaged and cannot be read ({type(error).__name__})."
            ) from None
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, docx.table.Table):
                rows = [[cell.text for cell in row.cells] for row in item.rows]
                if rows:
                    blocks.append(markdown_table(rows))
                continue
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if style.startswith("Heading ") and style[8:].isdigit():
                blocks.append("#" * min(int(style[8:]), 6) + " " + text)
            elif style == "Title":
                blocks.append("# " + text)
            else:
                blocks.append(text)
        title = document.core_properties.title or None
        return ExtractedText(kind=DocumentKind.DOCX, text="\n\n".join(blocks), title=title)

    def _html(self, data: bytes) -> ExtractedText:
        try:
            tree = lxml.html.document_fromstring(_decode(data))
        except (etree.ParserError, ValueError) as error:
            raise UnreadableDocument(f"The HTML cannot be parsed ({error}).") from None
        title_el = tree.find(".//title")
        title = title_el.text_content().strip() if title_el is not None else None
        if not title:  # a page without <title> often names itself for link previews
            og = tree.xpath('//meta[@property="og:title"]/@content')
            title = og[0].strip() if og else None
        for level in range(1, 7):
            for heading in tree.iter(f"h{level}"):
                heading.text = "#" * level + " " + (heading.text or "")
        for table in list(tree.iter("table")):
            rows = [[cell.text_content() for cell in row.iter("th", "td")] for row in table.iter("tr")]
            pre = lxml.html.Element("pre")
            pre.text = "\n" + markdown_table([r for r in rows if r]) + "\n"
            pre.tail = table.tail
            table.getparent().replace(table, pre)
        if title_el is not None:
            title_el.getparent().remove(title_el)
        text = get_text(lxml.html.tostring(tree, encoding="unicode"))
        paragraphs = [" ".join(p.split()) if not p.lstrip().startswith("|") else p.strip() for p in text.split("\n\n")]
        return ExtractedText(kind=DocumentKind.HTML, text="\n\n".join(p for p in paragraphs if p), title=title)

    def _csv(self, data: bytes) -> ExtractedText:
        text = _decode(data)
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        try:
            rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
        except csv.Error as error:
            raise UnreadableDocument(f"The CSV file is malformed ({error}).") from None
        return ExtractedText(kind=DocumentKind.CSV, text=markdown_table(rows))

    def _xlsx(self, data: bytes, max_chars: int | None = None) -> ExtractedText:
        """Each sheet as a ``#`` heading (its name) and a Markdown table whose header is the
        sheet's first non-empty row, so the chunker repeats it on every piece. Formulas give
        the values Excel last computed. The workbook is streamed (read-only mode) and the text
        stops at ``max_chars``."""
        import openpyxl  # imported here: ~0.2 s that a PDF's or a Word file's child need not pay

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - openpyxl raises many types on damaged files
            raise UnreadableDocument(
                f"The Excel workbook is damaged and cannot be read ({type(error).__name__})."
            ) from None
        try:
            blocks, length = [], 0
            for sheet in workbook.worksheets:
                sheet.reset_dimensions()  # a sheet's declared size is not trusted: only its cells are read
                rows: list[list[str]] = []
                for values in sheet.iter_rows(values_only=True):
                    cells = [_cell_text(v) for v in values]
                    while cells and not cells[-1]:
                        cells.pop()
                    if not cells:
                        continue
                    rows.append(cells)
                    length += sum(len(c) + 3 for c in cells)
                    if max_chars is not None and length > max_chars:
                        raise too_many_chars(max_chars)
                if rows:
                    blocks.append(f"# {' '.join(sheet.title.split())}\n\n{markdown_table(rows)}")
            title = workbook.properties.title or None
        except ExtractionLimitExceeded:
            raise
        except Exception as error:  # noqa: BLE001 - openpyxl raises many types on damaged rows
            raise UnreadableDocument(
                f"The Excel workbook is damaged and cannot be read ({type(error).__name__})."
            ) from None
        finally:
            workbook.close()
        return ExtractedText(kind=DocumentKind.XLSX, text="\n\n".join(blocks), title=title)

    def _pptx(self, data: bytes) -> ExtractedText:
        """Each slide as a ``#`` heading (its title, or "Slide N"), then the text of its other
        shapes in order (tables as Markdown tables) and its speaker notes."""
        import pptx  # imported here, as openpyxl is

        try:
            presentation = pptx.Presentation(io.BytesIO(data))
            blocks = []
            for number, slide in enumerate(presentation.slides, start=1):
                title_shape = slide.shapes.title
                title_text = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
                blocks.append(f"# {title_text or f'Slide {number}'}")
                for shape in slide.shapes:
                    if title_shape is not None and shape.shape_id == title_shape.shape_id:
                        continue
                    blocks.extend(_shape_blocks(shape))
                if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                    notes = " ".join(slide.notes_slide.notes_text_frame.text.split())
                    if notes:
                        blocks.append(f"Speaker notes: {notes}")
            title = presentation.core_properties.title or None
        except Exception as error:  # noqa: BLE001 - python-pptx raises many types on damaged files
            raise UnreadableDocument(
                f"The PowerPoint presentation is damaged and cannot be read ({type(error).__name__})."
            ) from None
        return ExtractedText(kind=DocumentKind.PPTX, text="\n\n".join(blocks), title=title)

    def _epub(self, data: bytes, max_chars: int | None = None) -> ExtractedText:
        """The chapters in the spine's (reading) order, each read as HTML (headings kept as
        ``#`` lines, tables as Markdown tables); the title from the package's ``dc:title``.
        Read with zipfile through the ZIP guard and lxml with entities and the network off."""
        try:
            with open_zip(data, self._zip_limits) as archive:
                container = etree.fromstring(archive.read("META-INF/container.xml"), _SAFE_XML)
                rootfile = container.find(f".//{_CONTAINER}rootfile")
                if rootfile is None or not rootfile.get("full-path"):
                    raise UnreadableDocument("The EPUB names no package file, so its chapters cannot be found.")
                opf_path = rootfile.get("full-path", "")
                package = etree.fromstring(archive.read(opf_path), _SAFE_XML)
                base = posixpath.dirname(opf_path)
                manifest = {
                    item.get("id"): (item.get("href", ""), item.get("media-type", ""))
                    for item in package.iter(f"{_OPF}item")
                }
                title_el = package.find(f".//{_DC_TITLE}")
                title = " ".join((title_el.text or "").split()) if title_el is not None else ""
                chapters, length, names = [], 0, set(archive.namelist())
                encrypted = _encrypted_paths(archive) if "META-INF/encryption.xml" in names else set()
                for itemref in package.iter(f"{_OPF}itemref"):
                    href, media_type = manifest.get(itemref.get("idref"), ("", ""))
                    path = posixpath.normpath(posixpath.join(base, urllib.parse.unquote(href.split("#")[0])))
                    if media_type not in _XHTML_TYPES or path not in names:
                        continue
                    if path in encrypted:  # fonts may be obfuscated; an encrypted chapter is DRM
                        raise UnreadableDocument("The EPUB is protected by DRM; upload a copy without it.")
                    markup = _XML_DECLARATION.sub("", _decode(archive.read(path)), count=1)
                    if not markup.strip():
                        continue
                    try:
                        text = self._html(markup.encode()).text
                    except UnreadableDocument:
                        continue  # one broken chapter does not lose the book
                    if text.strip():
                        chapters.append(text)
                        length += len(text) + 2
                        if max_chars is not None and length > max_chars:
                            raise too_many_chars(max_chars)
        except (UnreadableDocument, ExtractionLimitExceeded):
            raise
        except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, OSError, ValueError) as error:
            raise UnreadableDocument(f"The EPUB is damaged and cannot be read ({type(error).__name__}).") from None
        return ExtractedText(kind=DocumentKind.EPUB, text="\n\n".join(chapters), title=title or None)


def _encrypted_paths(archive: zipfile.ZipFile) -> set[str]:
    """The members an EPUB's ``META-INF/encryption.xml`` says are encrypted."""
    encryption = etree.fromstring(archive.read("META-INF/encryption.xml"), _SAFE_XML)
    return {
        posixpath.normpath(urllib.parse.unquote(reference.get("URI", "")))
        for reference in encryption.iter("{http://www.w3.org/2001/04/xmlenc#}CipherReference")
    }


def _cell_text(value: object) -> str:
    """A cell's value as it reads: whole numbers without ``.0``, dates without a midnight time."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _shape_blocks(shape: object) -> list[str]:
    """The text of one slide shape (group shapes opened, tables as Markdown tables)."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if getattr(shape, "shape_type", None) == MSO_SHAPE_TYPE.GROUP:
        return [block for inner in shape.shapes for block in _shape_blocks(inner)]  # type: ignore[attr-defined]
    if getattr(shape, "has_table", False):
        rows = [[cell.text for cell in row.cells] for row in shape.table.rows]  # type: ignore[attr-defined]
        return [markdown_table(rows)] if rows else []
    if getattr(shape, "has_text_frame", False):
        lines = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs]  # type: ignore[attr-defined]
        text = "\n".join(line for line in lines if line)
        return [text] if text else []
    return []
