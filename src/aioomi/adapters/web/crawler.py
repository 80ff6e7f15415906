"""Aioomi's polite web crawler (httpx + protego): pages, sitemaps and robots.txt for website and
sitemap sources.

Every request goes through the same address guard as single-URL imports
(:class:`~aioomi.adapters.web.url_fetcher.HttpUrlFetcher`: the URL is checked, the host resolved
and every address it resolves to must be public unless in the allowed networks, and the
connection is pinned to the checked address), at every redirect hop. Bodies are streamed and cut
at the byte limit; each request has a time limit; only the content types a page or a sitemap can
have are read.

A crawl run fetches through a :meth:`HttpSiteFetcher.session`: one HTTP client per origin
(scheme, host, port) for the whole run, so pages of a host reuse their connections instead of
opening one (and, for https, a TLS handshake) per page. Reuse does not weaken the guard: every
hop is still checked and pinned (:meth:`HttpUrlFetcher.pinned_request`), and a client's pool is
keyed by the checked address, so a connection is only reused for an address the guard let
through again; one client per host keeps a TLS connection (its SNI and certificate) to the host
it was opened for.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import io
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
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
SITEMAP_TYPES = frozenset(
    {"application/xml", "text/xml", "application/gzip", "application/x-gzip", "application/octet-stream", "text/plain"}
)
MAX_SITEMAP_BYTES = 10 * 1024 * 1024  # compressed or not; the protocol's own limit is 50 MB uncompressed
MAX_SITEMAP_XML = 50 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000
MAX_ROBOTS_BYTES = 512 * 1024
MAX_CRAWL_DELAY_S = 30.0
ROBOTS_TTL_S = 3600.0
MAX_CLIENTS_PER_RUN = 16  # hosts a run keeps connections to (redirects may lead anywhere)
MAX_DRAINED_BYTES = 64 * 1024  # a redirect's or an error's body read to keep its connection
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


class _RunClients:
    """The HTTP clients of one crawl run, one per origin, each keeping its connections alive
    between pages; at most :data:`MAX_CLIENTS_PER_RUN` (beyond, a fetch uses a client of its own)."""

    def __init__(self, make: Callable[[], httpx.AsyncClient]) -> None:
        self._make = make
        self._clients: dict[tuple[str, str, int | None], httpx.AsyncClient] = {}
        self.opened = 0

    def for_url(self, url: str) -> httpx.AsyncClient | None:
        parts = urlsplit(url)
        try:
            key = (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
        except ValueError:
            return None  # a bad port: the guard refuses the address
        client = self._clients.get(key)
        if client is None and len(self._clients) < MAX_CLIENTS_PER_RUN:
            client = self._clients[key] = self._make()
            self.opened += 1
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


class _Session:
    """:class:`aioomi.ports.web_crawling.SiteFetcher` for one run: the fetcher's politeness,
    robots.txt and guard, with the run's clients."""

    def __init__(self, fetcher: HttpSiteFetcher, clients: _RunClients) -> None:
        self._fetcher = fetcher
        self._clients = clients

    def session(self) -> contextlib.AbstractAsyncContextManager[_Session]:
        return contextlib.nullcontext(self)

    async def allowed_by_robots(self, url: str) -> bool:
        return await self._fetcher.allowed_by_robots(url, clients=self._clients)

    async def fetch_page(
        self, url: str, *, max_bytes: int, etag: str | None = None, last_modified: str | None = None
    ) -> WebPage:
        return await self._fetcher.fetch_page(
            url, max_bytes=max_bytes, etag=etag, last_modified=last_modified, clients=self._clients
        )

    async def fetch_sitemap(self, url: str) -> SitemapContents:
        return await self._fetcher.fetch_sitemap(url, clients=self._clients)


class HttpSiteFetcher:
    """:class:`aioomi.ports.web_crawling.SiteFetcher` with httpx and protego.

    ``allowed_networks`` and ``timeout_s`` are those of the single-URL fetcher (an intranet
    installation, or loopback in tests, must be allowed explicitly); ``max_redirects`` hops.
    ``robots.txt`` is read once per origin an hour; its ``Crawl-delay`` (for ``AioomiBot`` or
    ``*``, at most 30 s) spaces the requests to the host. Outside a :meth:`session`, every
    fetch opens and closes a client of its own.
    """

    def __init__(
        self,
        *,
        product_url: str,
        allowed_networks: Sequence[IPNetwork] = (),
        timeout_s: float = 10.0,
        max_redirects: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._guard = HttpUrlFetcher(
            allowed_networks=allowed_networks, timeout_s=timeout_s, max_redirects=max_redirects, transport=transport
        )
        self._timeout_s = timeout_s
        self._max_redirects = max_redirects
        self._transport = transport
        self.user_agent = user_agent(product_url)
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, tuple[float, Protego | None]] = {}
        self.requests = 0
        self.clients_opened = 0  # by runs' sessions (a fetch outside one opens its own)

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """One TLS context for every page of every crawl: building it (loading the CA bundle)
        costs more than fetching a small page from a nearby host."""
        return httpx.create_ssl_context()

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            follow_redirects=False,
            timeout=self._timeout_s,
            transport=self._transport,
            verify=self._tls,
            trust_env=False,
        )

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[_Session]:
        """A fetcher for one crawl run that keeps one client per host (their connections alive
        between pages) and closes them all when the block ends."""
        clients = _RunClients(self._client)
        try:
            yield _Session(self, clients)
        finally:
            self.clients_opened += clients.opened
            await clients.aclose()

    def _host(self, url: str) -> _Host:
        key = (urlsplit(url).hostname or "").lower()
        return self._hosts.setdefault(key, _Host())

    # -- robots.txt ---------------------------------------------------------------------------
    async def allowed_by_robots(self, url: str, *, clients: _RunClients | None = None) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        cached = self._robots.get(origin)
        if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL_S:
            rules = await self._read_robots(origin, clients)
            self._robots[origin] = cached = (time.monotonic(), rules)
            host = self._host(url)
            delay = rules.crawl_delay(CRAWLER_TOKEN) if rules is not None else None
            host.delay_s = min(float(delay or 0.0), MAX_CRAWL_DELAY_S)
        rules = cached[1]
        return rules is not None and rules.can_fetch(url, CRAWLER_TOKEN)

    async def _read_robots(self, origin: str, clients: _RunClients | None) -> Protego | None:
        """The parsed rules; an empty rule set when there is no robots.txt (4xx); ``None`` (no
        page may be fetched) when it cannot be read (5xx, unreachable), as RFC 9309 says."""
        try:
            status, _, body, _ = await self._get(
                f"{origin}/robots.txt", max_bytes=MAX_ROBOTS_BYTES, types=None, clients=clients
            )
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
    async def fetch_page(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
        clients: _RunClients | None = None,
    ) -> WebPage:
        conditions = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        status, final, body, response = await self._get(
            url, max_bytes=max_bytes, types=PAGE_TYPES, headers=conditions, clients=clients
        )
        if status == 304:
            return WebPage(
                url=final,
                data=b"",
                not_modified=True,
                etag=response.headers.get("etag", etag),
                last_modified=response.headers.get("last-modified", last_modified),
            )
        if status != 200:
            raise PageFailed(FailureReason.HTTP_STATUS, f"HTTP {status}", status=status)
        return WebPage(
            url=final,
            data=body,
            content_type=_media(response),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    async def fetch_sitemap(self, url: str, *, clients: _RunClients | None = None) -> SitemapContents:
        status, _, body, _ = await self._get(url, max_bytes=MAX_SITEMAP_BYTES, types=SITEMAP_TYPES, clients=clients)
        if status != 200:
            raise PageFailed(FailureReason.HTTP_STATUS, f"HTTP {status}")
        return parse_sitemap(body, url)

    async def _get(
        self,
        url: str,
        *,
        max_bytes: int,
        types: frozenset[str] | None,
        headers: dict[str, str] | None = None,
        clients: _RunClients | None = None,
    ) -> tuple[int, str, bytes, httpx.Response]:
        host = self._host(url)
        async with host.slots:
            await host.turn()
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await self._follow(url, max_bytes, types, headers or {}, clients)
            except TimeoutError:
                raise PageFailed(FailureReason.FETCH, f"No answer within {self._timeout_s:g} seconds.") from None
            except UrlNotAllowed as error:
                raise PageFailed(FailureReason.NOT_ALLOWED, error.detail) from None
            except DocumentTooLarge as error:
                raise PageFailed(FailureReason.SIZE, error.detail) from None
            except UrlFetchFailed as error:
                raise PageFailed(FailureReason.FETCH, error.detail) from None

    async def _follow(
        self, url: str, max_bytes: int, types: frozenset[str] | None, extra: dict[str, str], clients: _RunClients | None
    ) -> tuple[int, str, bytes, httpx.Response]:
        async with contextlib.AsyncExitStack() as own:
            one_shot: httpx.AsyncClient | None = None
            current = url
            for _ in range(self._max_redirects + 1):
                # the run's client of this hop's host; outside a run (or past its hosts) one of our own
                client = clients.for_url(current) if clients is not None else None
                if client is None:
                    if one_shot is None:
                        one_shot = await own.enter_async_context(self._client())
                    client = one_shot
                # the single-URL fetcher's guard: URL shape, then every address of the host
                request = await self._guard.pinned_request(
                    client,
                    current,
                    {"User-Agent": self.user_agent, "Accept": "*/*", "Accept-Encoding": "gzip, deflate", **extra},
                )
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
                        await _drain(response)
                        current = urljoin(current, location)
                        continue
                    if response.status_code != 200:
                        await _drain(response)
                        return response.status_code, current, b"", response
                    media = _media(response)
                    if types is not None and media is not None and media not in types:
                        raise PageFailed(FailureReason.TYPE, f"The address returned {media}, not a web page.")
                    return 200, current, await _read(response, max_bytes), response
                finally:
                    await response.aclose()
            raise UrlFetchFailed(f"The address redirected more than {self._max_redirects} times.")


async def _drain(response: httpx.Response) -> None:
    """Read a small body to its end, so its connection can serve the next page (a body left
    unread closes it)."""
    declared = response.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_DRAINED_BYTES):
        return
    read = 0
    try:
        async for piece in response.aiter_raw():
            read += len(piece)
            if read > MAX_DRAINED_BYTES:
                return
    except httpx.HTTPError:
        return


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
