"""Aioomi's polite web crawler (httpx + protego): pages, sitemaps and robots.txt for website and
sitemap sources.

Every request goes through the same address guard as single-URL imports
(:class:`~aioomi.adapters.web.url_fetcher.HttpUrlFetcher`: the URL is checked, the host resolved
and every address it resolves to must be public unless in the allowed networks, and the
connection is pinned to the checked address), at every redirect hop. Bodies are streamed and cut
at the byte limit; each request has a time limit; only the content types a page or a sitemap can
have are read.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import io
import ssl
import time
import zlib
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import etree
from protego import Protego

from aioomi.adapters.web.url_fetcher import HttpUrlFetcher, IPNetwork
from aioomi.domain.model.documents import DocumentTooLarge, UrlFetchFailed, UrlNotAllowed
from aioomi.domain.model.sources import (
    CRAWLER_TOKEN,
    PARALLEL_FETCHES_PER_HOST,
    FailureReason,
    PageFailed,
    SitemapContents,
    WebPage,
)

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "text/markdown"})
SITEMAP_TYPES = frozenset({"application/xml", "text/xml", "application/gzip", "application/x-gzip",
                           "application/octet-stream", "text/plain"})
MAX_SITEMAP_BYTES = 10 * 1024 * 1024  # compressed or not; the protocol's own limit is 50 MB uncompressed
MAX_SITEMAP_XML = 50 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000
MAX_ROBOTS_BYTES = 512 * 1024
MAX_CRAWL_DELAY_S = 30.0
ROBOTS_TTL_S = 3600.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def user_agent(product_url: str) -> str:
    return f"Mozilla/5.0 (compatible; {CRAWLER_TOKEN}/1.0; +{product_url})"


class _Host:
    """Politeness state of one host: at most N requests at once, spaced by its Crawl-delay."""

    def __init__(self) -> None:
        self.slots = asyncio.Semaphore(PARALLEL_FETCHES_PER_HOST)
        self.delay_s = 0.0
        self.next_at = 0.0
        self.lock = asyncio.Lock()

    async def turn(self) -> None:
        if self.delay_s <= 0:
            return
        async with self.lock:
            wait = self.next_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.next_at = time.monotonic() + self.delay_s


class HttpSiteFetcher:
    """:class:`aioomi.ports.web_crawling.SiteFetcher` with httpx and protego.

    ``allowed_networks`` and ``timeout_s`` are those of the single-URL fetcher (an intranet
    installation, or loopback in tests, must be allowed explicitly); ``max_redirects`` hops.
    ``robots.txt`` is read once per origin an hour; its ``Crawl-delay`` (for ``AioomiBot`` or
    ``*``, at most 30 s) spaces the requests to the host.
    """

    def __init__(self, *, product_url: str, allowed_networks: Sequence[IPNetwork] = (), timeout_s: float = 10.0,
                 max_redirects: int = 5, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._guard = HttpUrlFetcher(allowed_networks=allowed_networks, timeout_s=timeout_s,
                                     max_redirects=max_redirects, transport=transport)
        self._timeout_s = timeout_s
        self._max_redirects = max_redirects
        self._transport = transport
        self.user_agent = user_agent(product_url)
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, tuple[float, Protego | None]] = {}
        self.requests = 0

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """One TLS context for every page of every crawl: building it (loading the CA bundle)
        costs more than fetching a small page from a nearby host."""
        return httpx.create_ssl_context()

    def _host(self, url: str) -> _Host:
        key = (urlsplit(url).hostname or "").lower()
        return self._hosts.setdefault(key, _Host())

    # -- robots.txt ---------------------------------------------------------------------------
    async def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        cached = self._robots.get(origin)
        if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL_S:
            rules = await self._read_robots(origin)
            self._robots[origin] = cached = (time.monotonic(), rules)
            host = self._host(url)
            delay = rules.crawl_delay(CRAWLER_TOKEN) if rules is not None else None
            host.delay_s = min(float(delay or 0.0), MAX_CRAWL_DELAY_S)
        rules = cached[1]
        return rules is not None and rules.can_fetch(url, CRAWLER_TOKEN)

    async def _read_robots(self, origin: str) -> Protego | None:
        """The parsed rules; an empty rule set when there is no robots.txt (4xx); ``None`` (no
        page may be fetched) when it cannot be read (5xx, unreachable), as RFC 9309 says."""
        try:
            status, _, body, _ = await self._get(f"{origin}/robots.txt", max_bytes=MAX_ROBOTS_BYTES, types=None)
        except PageFailed as failure:
            if failure.reason is FailureReason.NOT_ALLOWED:
                raise  # the guard refuses the host itself
            if failure.reason is FailureReason.SIZE:
                return Protego.parse("")
            return None
        if 400 <= status < 500:
            return Protego.parse("")
        if status != 200:
            return None
        return Protego.parse(body.decode("utf-8", "replace"))

    # -- pages and sitemaps -------------------------------------------------------------------
    async def fetch_page(self, url: str, *, max_bytes: int, etag: str | None = None,
                         last_modified: str | None = None) -> WebPage:
        conditions = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        status, final, body, response = await self._get(url, max_bytes=max_bytes, types=PAGE_TYPES,
                                                        headers=conditions)
        if status == 304:
            return WebPage(url=final, data=b"", not_modified=True, etag=response.headers.get("etag", etag),
                           last_modified=response.headers.get("last-modified", last_modified))
        if status != 200:
            raise PageFailed(FailureReason.HTTP_STATUS, f"HTTP {status}", status=status)
        return WebPage(url=final, data=body, content_type=_media(response),
                       etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))

    async def fetch_sitemap(self, url: str) -> SitemapContents:
        status, _, body, _ = await self._get(url, max_bytes=MAX_SITEMAP_BYTES, types=SITEMAP_TYPES)
        if status != 200:
            raise PageFailed(FailureReason.HTTP_STATUS, f"HTTP {status}")
        return parse_sitemap(body, url)

    async def _get(self, url: str, *, max_bytes: int, types: frozenset[str] | None,
                   headers: dict[str, str] | None = None) -> tuple[int, str, bytes, httpx.Response]:
        host = self._host(url)
        async with host.slots:
            await host.turn()
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await self._follow(url, max_bytes, types, headers or {})
            except TimeoutError:
                raise PageFailed(FailureReason.FETCH, f"No answer within {self._timeout_s:g} seconds.") from None
            except UrlNotAllowed as error:
                raise PageFailed(FailureReason.NOT_ALLOWED, error.detail) from None
            except DocumentTooLarge as error:
                raise PageFailed(FailureReason.SIZE, error.detail) from None
            except UrlFetchFailed as error:
                raise PageFailed(FailureReason.FETCH, error.detail) from None

    async def _follow(self, url: str, max_bytes: int, types: frozenset[str] | None, extra: dict[str, str]
                      ) -> tuple[int, str, bytes, httpx.Response]:
        async with httpx.AsyncClient(follow_redirects=False, timeout=self._timeout_s, transport=self._transport,
                                     verify=self._tls, trust_env=False) as client:
            current = url
            for _ in range(self._max_redirects + 1):
                # the single-URL fetcher's guard: URL shape, then every address of the host
                request = await self._guard.pinned_request(client, current, {
                    "User-Agent": self.user_agent, "Accept": "*/*", "Accept-Encoding": "gzip, deflate", **extra})
                self.requests += 1
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError:
                    raise UrlFetchFailed("The address could not be fetched.") from None
                try:
                    if response.status_code in _REDIRECTS:  # not 304, which httpx counts as one
                        location = response.headers.get("location")
                        if not location:
                            raise UrlFetchFailed("The address redirected without saying where.")
                        current = urljoin(current, location)
                        continue
                    if response.status_code != 200:
                        return response.status_code, current, b"", response
                    media = _media(response)
                    if types is not None and media is not None and media not in types:
                        raise PageFailed(FailureReason.TYPE, f"The address returned {media}, not a web page.")
                    return 200, current, await _read(response, max_bytes), response
                finally:
                    await response.aclose()
            raise UrlFetchFailed(f"The address redirected more than {self._max_redirects} times.")


def _media(response: httpx.Response) -> str | None:
    return response.headers.get("content-type", "").split(";")[0].strip().lower() or None


async def _read(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise DocumentTooLarge(f"The page has {int(declared):,} bytes; the limit is {max_bytes:,}.")
    body = bytearray()
    try:
        async for piece in response.aiter_bytes():  # decoded: a compressed body is counted unpacked
            body.extend(piece)
            if len(body) > max_bytes:
                raise DocumentTooLarge(f"The page has more than the limit of {max_bytes:,} bytes.")
    except httpx.HTTPError:
        raise UrlFetchFailed("The transfer failed.") from None
    return bytes(body)


def parse_sitemap(data: bytes, url: str) -> SitemapContents:
    """The page and sitemap addresses of a sitemap or sitemap index (XML, or gzipped XML),
    within size limits: at most 50 MB unpacked and 50,000 addresses; no entities, no network."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
                data = unpacked.read(MAX_SITEMAP_XML + 1)
        except (OSError, EOFError, zlib.error):
            raise PageFailed(FailureReason.TYPE, "The sitemap is not valid gzip.") from None
        if len(data) > MAX_SITEMAP_XML:
            raise PageFailed(FailureReason.SIZE, "The sitemap unpacks to more than 50 MB.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        raise PageFailed(FailureReason.TYPE, "The sitemap is not valid XML.") from None
    tag = etree.QName(root).localname
    locations = [(loc.text or "").strip() for loc in root.iter(f"{_SITEMAP_NS}loc", "loc")]
    locations = [urljoin(url, loc) for loc in locations if loc][:MAX_SITEMAP_URLS]
    if tag == "sitemapindex":
        return SitemapContents(sitemaps=tuple(locations))
    if tag == "urlset":
        return SitemapContents(pages=tuple(locations))
    raise PageFailed(FailureReason.TYPE, "The file is not a sitemap (urlset or sitemapindex).")

