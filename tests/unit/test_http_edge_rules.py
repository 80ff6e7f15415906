"""The HTTP edge's pure rules: where to go after signing in, how deep JSON may nest, which
client address to believe behind proxies, and the settings that configure them."""

from __future__ import annotations

import ipaddress
import json

import pytest

from aioomi.entrypoints.cli import proxy_options
from aioomi.entrypoints.http.edge import forwarded_client
from aioomi.entrypoints.http.pages import HOME, safe_next
from aioomi.entrypoints.http.request_body import json_depth_exceeds
from aioomi.settings import SettingsError, load_settings

# Known open-redirect bypasses: each must end on the dashboard's home, never elsewhere.
BAD_NEXT = [
    "/\t/evil.example/phish",  # ?next=/%09/evil.example/phish: the browser drops the tab → //evil.example
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/ /evil.example",
    "/\u00a0/evil.example",
    "/\u2028/evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",  # zero-width space (format character)
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "http://evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    " /dashboard",
    "",
    None,
    "/" + "a" * 2001,
]
GOOD_NEXT = [
    "/dashboard/usage",
    "/dashboard/usage?days=90",
    "/dashboard/conversations?agent_id=agt_1#top",
    "/%09/not-a-tab-once-decoded",
    "/dashboard/agents/agt_1/knowledge",
]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_a_next_that_could_leave_this_origin_goes_home(target: str | None) -> None:
    assert safe_next(target) == "/dashboard/agents"
    assert HOME == "/dashboard/agents"


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_a_path_on_this_origin_is_kept(target: str) -> None:
    assert safe_next(target) == target


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def nested_objects(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (nested(400), False),
        (nested(401), True),
        (nested_objects(400), False),
        (nested_objects(401), True),
        (nested(100_000), True),
        (b"[" * 100_000, True),  # never closed: the decoder would recurse as deep before failing
        # Many brackets, little depth.
        (json.dumps([[1]] * 5_000).encode(), False),
        # Brackets inside strings are text, escaped quotes and backslashes included.
        (json.dumps({"text": "[" * 5_000}).encode(), False),
        (json.dumps({"text": '\\"' + "[" * 5_000 + '"\\'}).encode(), False),
        (json.dumps(["\\", "[" * 5_000]).encode(), False),
        (json.dumps({"text": "]" * 5_000, "deep": json.loads(nested(401))}).encode(), True),
    ],
)
def test_json_depth_is_measured_without_decoding(body: bytes, too_deep: bool) -> None:
    assert json_depth_exceeds(body, 400) is too_deep


TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # An untrusted peer: the header is ignored, whatever it says.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("127.0.0.1", "198.51.100.1", "127.0.0.1"),
        # A trusted proxy: the rightmost hop that is not a trusted proxy.
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own claim (6.6.6.6) is left of it
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),
        ("2001:db8::5", "2001:db8::9, 198.51.100.1, 2001:db8::7", "198.51.100.1"),
        # Every hop trusted: the leftmost.
        ("10.0.0.2", "10.0.0.9, 10.0.0.8", "10.0.0.9"),
        # No header, or garbage at the first untrusted position: the last trusted hop.
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1, not-an-ip, 10.0.0.7", "10.0.0.7"),
    ],
)
def test_the_client_address_is_the_rightmost_untrusted_hop(peer: str, forwarded_for: str, client: str) -> None:
    assert forwarded_client(peer, forwarded_for, TRUSTED) == client


def test_no_trusted_proxy_means_no_forwarded_header_is_believed() -> None:
    assert forwarded_client("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"
    assert proxy_options(load_settings({})) == {"proxy_headers": False, "forwarded_allow_ips": []}


def test_trusted_proxies_are_cidrs_given_to_uvicorn_too() -> None:
    settings = load_settings({"AIOOMI_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,2001:db8::/32"})
    assert settings.trusted_proxy_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    assert proxy_options(settings) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"],
    }
    with pytest.raises(SettingsError) as error:
        load_settings({"AIOOMI_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"})
    assert error.value.variable == "AIOOMI_TRUSTED_PROXIES"


def test_the_metrics_token_is_a_secret_of_some_length() -> None:
    settings = load_settings({"AIOOMI_METRICS_TOKEN": "m" * 32})
    assert settings.metrics_token == "m" * 32
    assert "m" * 32 not in repr(settings)
    with pytest.raises(SettingsError) as error:
        load_settings({"AIOOMI_METRICS_TOKEN": "short"})
    assert error.value.variable == "AIOOMI_METRICS_TOKEN"
