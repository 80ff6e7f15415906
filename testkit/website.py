"""A small website for crawler tests, as an ASGI app served on loopback: 302 pages of content
(each with an ETag, answering 304 to a matching If-None-Match)
with the same navigation, cookie banner and footer on every page, a sitemap index with a plain
and a gzipped child, a robots.txt disallowing /private/, a redirect, a canonical duplicate, a
slow page, an oversized page, a binary file and a missing page.

``Website.changes`` lets a test edit a page's paragraph or remove a page between crawls;
``Website.hits`` counts the requests per path, ``Website.connections`` the TCP connections they
came on (the client's address and port)."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from testkit.serving import serve_in_thread

SECTIONS = 10
PAGES_PER_SECTION = 29
PAGES = SECTIONS * PAGES_PER_SECTION  # 290
NAVIGATION = "Subscribe to the weekly Aioomi newsletter for offers"
COOKIES = "This site uses cookies to remember your basket"
FOOTER = "Copyright Kettle Shop, all rights reserved, imprint and terms"
SLOW_S = 8.0
LONG_PAGE = 25
BIG_BYTES = 150_000
HOME_EXTRAS = (
    "/old/page-3",
    "/docs/page-1?ref=promo",
    "/private/secret",
    "/files/price-list.bin",
    "/slow",
    "/big",
    "/docs/missing",
    "https://elsewhere.example.org/page",
)


def paragraph(n: int, which: int) -> str:
    return (
        f"Kettle model {n} paragraph {which} explains how the {n}th kettle boils water quickly and safely, "
        f"with a limescale filter, an automatic shut-off and a warranty of {n % 5 + 1} years for every buyer."
    )


class Website:
    def __init__(self) -> None:
        self.changes: dict[str, str | None] = {}  # path → replacement main HTML, or None: gone (404)
        self.hits: Counter[str] = Counter()
        self.not_modified = 0  # 304 answers to conditional requests (pages carry an ETag)
        self.connections: set[tuple[str, int]] = set()
        self.base = ""

    def page(self, title: str, main: str, *, head: str = "") -> bytes:
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title} | Kettle Shop</title>{head}</head>"
            f"<body><header><nav><a href='/'>Home</a> <a href='/about'>About</a> <span>{NAVIGATION}</span></nav>"
            f"<div class='cookie-banner'>{COOKIES}. <button>Accept</button></div></header>"
            f"<main><article>{main}</article></main><footer><p>{FOOTER}</p></footer></body></html>"
        ).encode()

    def doc(self, n: int) -> str:
        # page 25 is long (several chunks): a change to one paragraph must re-embed only its chunk
        extra = "".join(f"<p>{paragraph(n, k)}</p>" for k in range(4, 60)) if n == LONG_PAGE else ""
        return (
            f"<h1>Kettle {n}</h1><p>{paragraph(n, 1)}</p><h2>Care</h2><p>{paragraph(n, 2)}</p>"
            f"<p>{paragraph(n, 3)}</p>{extra}"
        )

    def route(self, path: str) -> tuple[int, str, bytes, dict[str, str]]:
        html = "text/html; charset=utf-8"
        if path in self.changes:
            changed = self.changes[path]
            if changed is None:
                return 404, "text/plain", b"gone", {}
            return 200, html, self.page(f"Kettle {path.rsplit('-', 1)[-1]}", changed), {}
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow: /private/\n", {}
        if path == "/sitemap.xml":
            body = (
                "<?xml version='1.0' encoding='UTF-8'?><sitemapindex "
                "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                f"<sitemap><loc>{self.base}/sitemaps/pages-1.xml</loc></sitemap>"
                f"<sitemap><loc>{self.base}/sitemaps/pages-2.xml.gz</loc></sitemap></sitemapindex>"
            )
            return 200, "application/xml", body.encode(), {}
        if path in ("/sitemaps/pages-1.xml", "/sitemaps/pages-2.xml.gz"):
            first = path.endswith("1.xml")
            paths = [f"/docs/page-{n}" for n in (range(0, 150) if first else range(150, PAGES))]
            paths += ["/private/secret", "/docs/missing"] if first else ["/docs/page-1?ref=promo"]
            urls = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in paths)
            body = (
                "<?xml version='1.0' encoding='UTF-8'?><urlset "
                f"xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
            ).encode()
            return (200, "application/xml", body, {}) if first else (200, "application/gzip", gzip.compress(body), {})
        if path == "/":
            links = "".join(f"<li><a href='/docs/section-{s}'>Section {s}</a></li>" for s in range(SECTIONS))
            extras = "".join(f"<li><a href='{p}'>more</a></li>" for p in HOME_EXTRAS)
            return (
                200,
                html,
                self.page(
                    "Home",
                    f"<h1>Kettle Shop</h1><p>{paragraph(1000, 1)}</p>"
                    f"<p>{paragraph(1000, 2)}</p><ul>{links}{extras}</ul>",
                ),
                {},
            )
        if path == "/about":
            return (
                200,
                html,
                self.page("About", f"<h1>About us</h1><p>{paragraph(2000, 1)}</p><p>{paragraph(2000, 2)}</p>"),
                {},
            )
        if path.startswith("/docs/section-"):
            s = int(path.rsplit("-", 1)[1])
            links = "".join(
                f"<li><a href='/docs/page-{s * PAGES_PER_SECTION + i}'>Kettle</a></li>"
                for i in range(PAGES_PER_SECTION)
            )
            return (
                200,
                html,
                self.page(
                    f"Section {s}",
                    f"<h1>Section {s}</h1><p>{paragraph(3000 + s, 1)}</p>"
                    f"<p>{paragraph(3000 + s, 2)}</p><ul>{links}</ul>",
                ),
                {},
            )
        if path.startswith("/docs/page-"):
            tail = path.rsplit("-", 1)[1]
            n = int(tail.split("?")[0]) if tail.split("?")[0].isdigit() else -1
            if 0 <= n < PAGES:
                head = f"<link rel='canonical' href='{self.base}/docs/page-{n}'>"
                return 200, html, self.page(f"Kettle {n}", self.doc(n), head=head), {}
        if path == "/old/page-3":
            return 301, "text/plain", b"", {"location": "/docs/page-3"}
        if path == "/files/price-list.bin":
            return 200, "application/octet-stream", b"\x00\x01binary", {}
        if path == "/big":
            return 200, html, self.page("Big", "<p>" + "big " * (BIG_BYTES // 4) + "</p>"), {}
        if path == "/private/secret":
            return 200, html, self.page("Secret", "<p>Never to be crawled.</p>"), {}
        return 404, "text/plain", b"not found", {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
        self.hits[path] += 1
        if scope.get("client"):
            self.connections.add(tuple(scope["client"]))
        if path == "/slow":
            await asyncio.sleep(SLOW_S)
        status, ctype, body, headers = self.route(path)
        if status == 200 and ctype.startswith("text/html"):
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            headers = headers | {"etag": etag}
            asked = dict(scope["headers"]).get(b"if-none-match", b"").decode()
            if asked == etag:
                self.not_modified += 1
                status, body = 304, b""
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", ctype.encode()),
                    (b"content-length", str(len(body)).encode()),
                    *[(k.encode(), v.encode()) for k, v in headers.items()],
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@contextmanager
def served_website() -> Iterator[Website]:
    site = Website()
    # With protocol 0 (as socket.socket(AF_INET, SOCK_STREAM) makes it), asyncio does not set
    # TCP_NODELAY on the accepted connections; the server writes a response's head and body
    # separately, so on a kept-alive connection Nagle's algorithm waits for the client's delayed
    # ACK (40 ms a response). Real web servers do not; the crawler's connection reuse would be
    # measured against an artifact.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    site.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with serve_in_thread(site, sock, name="test-website"):
        yield site
