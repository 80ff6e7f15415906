"""The main content of a web page with trafilatura (navigation, footers, cookie banners and other
boilerplate dropped; headings, lists and tables kept as Markdown), with lxml for its title,
``rel=canonical`` and links."""

from __future__ import annotations

from urllib.parse import urljoin

import trafilatura
from lxml import html as lxml_html

from aioomi.domain.model.sources import ExtractedPage, FailureReason, PageFailed, WebPage

MAX_LINKS = 5_000


class TrafilaturaPageExtractor:
    """:class:`aioomi.ports.web_crawling.PageExtractor`. Plain-text and Markdown files are taken
    as they are. Works offline (trafilatura needs no download)."""

    def extract(self, page: WebPage) -> ExtractedPage:
        if page.content_type in ("text/plain", "text/markdown"):
            text = page.data.decode("utf-8", "replace").strip()
            if not text:
                raise PageFailed(FailureReason.EMPTY, "The file is empty.")
            return ExtractedPage(title=None, text=text)
        markup = page.data.decode(_charset(page.data), "replace")
        try:
            tree = lxml_html.document_fromstring(markup)
        except Exception:  # noqa: BLE001 - lxml raises several types on unparseable markup
            raise PageFailed(FailureReason.EMPTY, "The page could not be parsed.") from None
        base = page.url
        base_href = tree.xpath("string(//head/base/@href)")
        if base_href:
            base = urljoin(page.url, base_href.strip())
        canonical = tree.xpath("string(//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href)")
        links: list[str] = []
        for href in tree.xpath("//a[@href]/@href")[:MAX_LINKS]:
            href = href.strip()
            if href and not href.startswith(("#", "mailto:", "tel:", "javascript:")):
                links.append(urljoin(base, href).split("#", 1)[0])
        main = trafilatura.extract(
            tree,
            url=page.url,
            output_format="markdown",
            include_formatting=True,
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
        )
        if not main or not main.strip():
            raise PageFailed(FailureReason.EMPTY, "The page has no main text.")
        metadata = trafilatura.extract_metadata(tree)
        title = (metadata.title if metadata is not None else None) or tree.findtext(".//title")
        return ExtractedPage(
            title=" ".join(title.split())[:300] if title and title.strip() else None,
            text=main.strip(),
            canonical=urljoin(page.url, canonical.strip()) if canonical.strip() else None,
            links=tuple(dict.fromkeys(links)),
        )


def _charset(data: bytes) -> str:
    head = data[:2048].lower()
    marker = head.find(b"charset=")
    if marker >= 0:
        raw = head[marker + 8 : marker + 40].strip(b"\"' ").split(b'"')[0].split(b"'")[0].split(b";")[0]
        name = raw.split(b" ")[0].split(b">")[0].split(b"/")[0].decode("ascii", "ignore")
        try:
            "".encode(name)
            return name
        except LookupError:
            pass
    return "utf-8"
