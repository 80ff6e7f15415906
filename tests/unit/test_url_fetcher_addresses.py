"""The URL fetcher's address filter (issue 12, items 6 and 14): IPv6 addresses that carry an
IPv4 one are judged by it, deprecated ranges are refused, and refusals say nothing of what a
name resolved to."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from aioomi.adapters.web.url_fetcher import HttpUrlFetcher, is_public, parse_networks
from aioomi.domain.model.documents import UrlFetchFailed, UrlNotAllowed

# (address, may be fetched, why) — 169.254.169.254 is the cloud metadata service,
# 93.184.215.14 a public web server.
ADDRESSES = [
    ("93.184.215.14", True, "public IPv4"),
    ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True, "public IPv6"),
    ("169.254.169.254", False, "link-local IPv4 (metadata)"),
    ("10.1.2.3", False, "private IPv4"),
    ("127.0.0.1", False, "loopback IPv4"),
    ("::1", False, "loopback IPv6"),
    ("fe80::1", False, "link-local IPv6"),
    ("fd00::1", False, "unique local IPv6"),
    ("ff02::1", False, "multicast IPv6"),
    ("::ffff:169.254.169.254", False, "IPv4-mapped metadata"),
    ("::ffff:93.184.215.14", True, "IPv4-mapped public"),
    ("::ffff:0:a9fe:a9fe", False, "SIIT ::ffff:0:0:0/96 wrapping 169.254.169.254"),
    ("::ffff:0:5db8:d70e", True, "SIIT wrapping a public IPv4"),
    ("::a9fe:a9fe", False, "IPv4-compatible ::/96 wrapping 169.254.169.254"),
    ("::a00:1", False, "IPv4-compatible wrapping 10.0.0.1"),
    ("64:ff9b::a9fe:a9fe", False, "NAT64 64:ff9b::/96 wrapping 169.254.169.254"),
    ("64:ff9b::7f00:1", False, "NAT64 wrapping 127.0.0.1"),
    ("64:ff9b::5db8:d70e", True, "NAT64 wrapping a public IPv4"),
    ("64:ff9b:1::a9fe:a9fe", False, "local-use NAT64 64:ff9b:1::/48"),
    ("64:ff9b:1:2:3:4:5db8:d70e", False, "local-use NAT64 whatever it wraps"),
    ("2002:a9fe:a9fe::1", False, "6to4 2002::/16 wrapping 169.254.169.254"),
    ("2002:a00:1::1", False, "6to4 wrapping 10.0.0.1"),
    ("2002:5db8:d70e::1", True, "6to4 wrapping a public IPv4"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False, "Teredo 2001::/32 (public server and client)"),
    ("2001:0:a9fe:a9fe:8000:63bf:3fff:fdd2", False, "Teredo with the metadata address as server"),
    ("fec0::1", False, "site-local fec0::/10 (deprecated)"),
    ("fec0:0:0:1::a9fe:a9fe", False, "site-local wrapping the metadata address"),
    ("3ffe:831f::1", False, "6bone 3ffe::/16 (returned)"),
    ("2001:db8::1", False, "documentation range"),
]


@pytest.mark.parametrize(("address", "allowed", "why"), ADDRESSES, ids=[a[2] for a in ADDRESSES])
def test_which_addresses_may_be_fetched(address: str, allowed: bool, why: str) -> None:
    assert is_public(ipaddress.ip_address(address)) is allowed, why


def test_an_allowed_network_covers_its_addresses_however_they_are_wrapped() -> None:
    allowed = parse_networks("10.0.0.0/8")
    assert is_public(ipaddress.ip_address("10.1.2.3"), allowed)
    assert is_public(ipaddress.ip_address("::ffff:10.1.2.3"), allowed)
    assert is_public(ipaddress.ip_address("64:ff9b::a01:203"), allowed)
    assert not is_public(ipaddress.ip_address("64:ff9b::a9fe:a9fe"), allowed)


def answering(status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, text="hello", headers={"content-type": "text/plain"})
    )


GENERIC = "This address cannot be fetched: only public web addresses (http:// or https://) can be imported."


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[fec0::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/admin",  # resolves to loopback
        "http://no-such-host.invalid/",  # does not resolve: the same answer, so names cannot be probed
    ],
)
async def test_refusals_are_one_generic_answer_naming_no_address(url: str) -> None:
    fetcher = HttpUrlFetcher(transport=answering())
    with pytest.raises(UrlNotAllowed) as caught:
        await fetcher.fetch(url, max_bytes=1000)
    assert caught.value.code == "url_not_allowed"
    assert caught.value.detail == GENERIC


async def test_a_wrapped_public_address_is_fetched() -> None:
    fetcher = HttpUrlFetcher(transport=answering())
    fetched = await fetcher.fetch("http://[64:ff9b::5db8:d70e]/faq.txt", max_bytes=1000)
    assert fetched.data == b"hello"


async def test_a_connection_failure_says_only_that_the_address_could_not_be_fetched() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused to 93.184.215.14:8443")

    fetcher = HttpUrlFetcher(transport=httpx.MockTransport(refuse))
    with pytest.raises(UrlFetchFailed) as caught:
        await fetcher.fetch("http://93.184.215.14:8443/", max_bytes=1000)
    assert caught.value.code == "url_fetch_failed"
    assert caught.value.detail == "The address could not be fetched."


@pytest.mark.parametrize("stage", ["name resolution", "answer"])
async def test_a_timeout_says_only_that_the_address_could_not_be_fetched(stage: str) -> None:
    """Whether the time ran out resolving the name (an internal DNS server slow on some names)
    or waiting for the answer, the caller reads the one generic wording: no stage, no seconds."""

    async def never_answers(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    fetcher = HttpUrlFetcher(transport=httpx.MockTransport(never_answers), timeout_s=0.01)
    if stage == "name resolution":

        async def hanging_resolver(host: str, port: int) -> str:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        fetcher._resolve = hanging_resolver  # type: ignore[method-assign]
    with pytest.raises(UrlFetchFailed) as caught:
        await fetcher.fetch("http://93.184.215.14/slow.txt", max_bytes=1000)
    assert caught.value.code == "url_fetch_failed"
    assert caught.value.detail == "The address could not be fetched."
