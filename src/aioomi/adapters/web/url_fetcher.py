"""Fetching a web address for the knowledge base with httpx, guarded against server-side
request forgery: every hop's host is resolved and each address checked before connecting, and
the connection goes to the checked address (the name is kept for Host and TLS), so a DNS
answer that changes between the check and the connection cannot reach a private network."""

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

ACCEPTED_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown", "text/csv",
    "application/csv", "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
})


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

    def _permitted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if any(address in network for network in self._allowed if network.version == address.version):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return self._permitted(address.ipv4_mapped)
        return address.is_global and not address.is_multicast

    async def _resolve(self, host: str, port: int) -> str:
        """A checked address of ``host``: every address it resolves to must be permitted."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
            addresses = [literal]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError):
                raise UrlFetchFailed(f"The host {host} could not be found.") from None
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        if not addresses:
            raise UrlFetchFailed(f"The host {host} could not be found.")
        refused = [a for a in addresses if not self._permitted(a)]
        if refused:
            raise UrlNotAllowed(
                f"{host} points to a private, loopback or reserved address ({refused[0]}); only public "
                "addresses can be fetched."
            )
        return str(addresses[0])

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
            raise UrlFetchFailed(f"The address did not answer within {self._timeout_s:g} seconds.") from None

    async def _fetch(self, url: str, max_bytes: int) -> FetchedResource:
        async with httpx.AsyncClient(
            follow_redirects=False, timeout=self._timeout_s, transport=self._transport, trust_env=False
        ) as client:
            current = url
            for _ in range(self._max_redirects + 1):
                target = self._check_url(current)
                port = target.port or (443 if target.scheme == "https" else 80)
                address = await self._resolve(target.host, port)
                pinned = target.copy_with(host=address)
                host_header = target.host if target.port is None else f"{target.host}:{target.port}"
                request = client.build_request(
                    "GET", pinned,
                    headers={"Host": host_header, "User-Agent": self._user_agent, "Accept": "*/*"},
                    extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
                )
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError as error:
                    raise UrlFetchFailed(f"The address could not be fetched ({type(error).__name__}).") from None
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
                f"The address returned {content_type}; a web page, text, PDF, Word (.docx) or CSV is needed."
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
        except httpx.HTTPError as error:
            raise UrlFetchFailed(f"The transfer failed ({type(error).__name__}).") from None
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
        return FetchedResource(url=url, data=bytes(body), content_type=content_type, filename=name)
