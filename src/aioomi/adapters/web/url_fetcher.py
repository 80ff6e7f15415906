"""Fetching a web address for the knowledge base with httpx, guarded against server-side
request forgery: every hop's host is resolved and each address checked before connecting, and
the connection goes to the checked address (the name is kept for Host and TLS), so a DNS
answer that changes between the check and the connection cannot reach a private network.

An IPv6 address that carries an IPv4 one (IPv4-mapped, SIIT, IPv4-compatible, NAT64, 6to4,
Teredo) is judged by the IPv4 address it carries too; deprecated ranges are refused. Refusals
and failures say nothing of what the names resolved to, so the errors cannot map a private
network's DNS: a name that does not resolve and one that resolves to a private address get
the same answer."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from aioomi.domain.model.documents import (
    MAX_URL,
    DocumentTooLarge,
    FetchedResource,
    UrlFetchFailed,
    UrlNotAllowed,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NOT_ALLOWED = "This address cannot be fetched: only public web addresses (http:// or https://) can be imported."
UNREACHABLE = "The address could not be fetched."

_V6 = ipaddress.IPv6Network
_LAST_32_BITS = (  # the IPv4 address is the last 32 bits
    _V6("::ffff:0:0:0/96"),  # SIIT (RFC 6145)
    _V6("::/96"),  # IPv4-compatible (deprecated, RFC 4291)
    _V6("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052)
)
_REFUSED_V6 = (
    _V6("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215): where the IPv4 sits is the network's choice
    _V6("fec0::/10"),  # site-local (deprecated, RFC 3879)
    _V6("3ffe::/16"),  # 6bone (returned, RFC 3701)
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (for Teredo, the server and the client)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if any(address in network for network in _LAST_32_BITS):
        return [ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)]
    return []


def is_public(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> bool:
    """Whether the fetcher may connect to ``address``: in ``allowed``, or public. An IPv6
    address that carries an IPv4 one must be public and carry only public IPv4 addresses (an
    IPv4-mapped one is judged as its IPv4 address)."""
    if any(address in network for network in allowed if network.version == address.version):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # the same host as the IPv4 address
            return is_public(address.ipv4_mapped, allowed)
        if any(address in network for network in _REFUSED_V6):
            return False
        if not all(is_public(inner, allowed) for inner in embedded_ipv4(address)):
            return False
    return address.is_global and not address.is_multicast


ACCEPTED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "text/csv",
        "application/csv",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/epub+zip",
    }
)


def parse_networks(spec: str | Sequence[str]) -> tuple[IPNetwork, ...]:
    """``"127.0.0.1/32, 10.0.0.0/8"`` (or a list) as networks; raises ValueError on a bad one."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


class HttpUrlFetcher:
    """:class:`aioomi.ports.url_fetcher.UrlFetcher` with httpx.

    Limits: ``timeout_s`` for the whole fetch (all hops), ``max_redirects`` hops, the caller's
    ``max_bytes`` (read as a stream, stopped at the limit), and the content types a document
    can have. Only public addresses are fetched, unless an address falls in
    ``allowed_networks`` (empty by default; tests and intranet installations add theirs).
    """

    def __init__(
        self,
        *,
        allowed_networks: Sequence[IPNetwork] = (),
        timeout_s: float = 10.0,
        max_redirects: int = 5,
        user_agent: str = "Aioomi-Fetcher/1.0 (+knowledge base import)",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allowed = tuple(allowed_networks)
        self._timeout_s = timeout_s
        self._max_redirects = max_redirects
        self._user_agent = user_agent
        self._transport = transport

    def _permitted(self, address: IPAddress) -> bool:
        return is_public(address, self._allowed)

    async def _resolve(self, host: str, port: int) -> str:
        """A checked address of ``host``: every address it resolves to must be permitted."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
            addresses = [literal]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError):
                raise UrlNotAllowed(NOT_ALLOWED) from None  # the same answer as a private name's
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses or not all(self._permitted(a) for a in addresses):
            raise UrlNotAllowed(NOT_ALLOWED)
        return str(addresses[0])

    async def pinned_request(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        *,
        method: str = "GET",
        content: bytes | None = None,
    ) -> httpx.Request:
        """A GET (or ``method`` with ``content``) of ``url`` through the guard, for one hop: the
        address's shape is checked, every address its host resolves to must be permitted, and the
        request goes to the checked address (so a second resolution cannot swap it) with the name
        kept for Host and SNI."""
        target = self._check_url(url)
        port = target.port or (443 if target.scheme == "https" else 80)
        address = await self._resolve(target.host, port)
        host_header = target.host if target.port is None else f"{target.host}:{target.port}"
        return client.build_request(
            method,
            target.copy_with(host=address),
            headers={"Host": host_header, **headers},
            content=content,
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )

    @staticmethod
    def _check_url(url: str) -> httpx.URL:
        if len(url) > MAX_URL:
            raise UrlNotAllowed(f"Use an address of at most {MAX_URL} characters.")
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise UrlNotAllowed("Only http:// and https:// addresses can be fetched.")
        if parts.username or parts.password:
            raise UrlNotAllowed("Addresses with a user name or password are not fetched.")
        try:
            return httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            raise UrlNotAllowed("This is not a valid address.") from None

    async def fetch(self, url: str, *, max_bytes: int) -> FetchedResource:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._fetch(url, max_bytes)
        except TimeoutError:
            # The same words as any other failure: a timeout may be spent resolving a name, and
            # naming it (or the time) would tell a caller how the server's DNS treats that name.
            raise UrlFetchFailed(UNREACHABLE) from None

    async def _fetch(self, url: str, max_bytes: int) -> FetchedResource:
        async with httpx.AsyncClient(
            follow_redirects=False, timeout=self._timeout_s, transport=self._transport, trust_env=False
        ) as client:
            current = url
            for _ in range(self._max_redirects + 1):
                request = await self.pinned_request(client, current, {"User-Agent": self._user_agent, "Accept": "*/*"})
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError:
                    raise UrlFetchFailed(UNREACHABLE) from None
                try:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise UrlFetchFailed("The address redirected without saying where.")
                        current = urljoin(current, location)
                        continue
                    return await self._read(current, response, max_bytes)
                finally:
                    await response.aclose()
            raise UrlFetchFailed(f"The address redirected more than {self._max_redirects} times.")

    async def _read(self, url: str, response: httpx.Response, max_bytes: int) -> FetchedResource:
        if response.status_code != 200:
            raise UrlFetchFailed(f"The address answered HTTP {response.status_code}.")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower() or None
        if content_type is not None and content_type not in ACCEPTED_TYPES:
            raise UrlFetchFailed(
                f"The address returned {content_type}; a web page, text, PDF, Word (.docx), Excel (.xlsx), "
                "PowerPoint (.pptx), EPUB or CSV is needed."
            )
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise DocumentTooLarge(f"The address returned {int(declared):,} bytes; the limit is {max_bytes:,}.")
        body = bytearray()
        try:
            async for piece in response.aiter_bytes():
                body.extend(piece)
                if len(body) > max_bytes:
                    raise DocumentTooLarge(f"The address returned more than the limit of {max_bytes:,} bytes.")
        except httpx.HTTPError:
            raise UrlFetchFailed(UNREACHABLE) from None
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
        return FetchedResource(url=url, data=bytes(body), content_type=content_type, filename=name)
