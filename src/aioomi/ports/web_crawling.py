"""Fetching a website politely and reading its pages: what a crawl of a website or sitemap
source needs from the web."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from aioomi.domain.model.sources import ExtractedPage, SitemapContents, WebPage


class SiteFetcher(Protocol):
    """Fetches pages, sitemaps and ``robots.txt`` as Aioomi's crawler.

    Guarantees: every request passes the address guard (public addresses only, every redirect
    checked) and the size, time and content-type limits; at most
    :data:`~aioomi.domain.model.sources.PARALLEL_FETCHES_PER_HOST` requests run at once per host,
    spaced by the host's ``Crawl-delay``; the User-Agent names Aioomi and its product URL.
    Failures leave as :class:`~aioomi.domain.model.sources.PageFailed` with their reason.
    """

    def session(self) -> AbstractAsyncContextManager[SiteFetcher]:
        """A fetcher for one crawl run, with the same guarantees, that keeps its connections
        open between pages (one HTTP client per host) and closes them when the block ends."""
        ...

    async def allowed_by_robots(self, url: str) -> bool:
        """Whether the site's ``robots.txt`` lets the crawler fetch ``url`` (an unreachable
        ``robots.txt`` forbids everything, a missing one allows everything)."""
        ...

    async def fetch_page(
        self, url: str, *, max_bytes: int, etag: str | None = None, last_modified: str | None = None
    ) -> WebPage:
        """A web page or text file (other content types fail with reason ``type``). With
        validators the request is conditional: a ``304`` comes back as ``not_modified``."""
        ...

    async def fetch_sitemap(self, url: str) -> SitemapContents:
        """The pages and child sitemaps a sitemap (XML, or gzipped XML) lists."""
        ...


class PageExtractor(Protocol):
    def extract(self, page: WebPage) -> ExtractedPage:
        """The page's main content as Markdown, its title, canonical address and links.
        Raises :class:`~aioomi.domain.model.sources.PageFailed` (``empty``) when there is none."""
        ...
