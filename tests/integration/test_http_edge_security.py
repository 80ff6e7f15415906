"""The HTTP edge under hostile input: JSON nested too deeply, days out of range, bodies larger
than the limit sent chunked, forged X-Forwarded-For, a flood of widget sessions, the security
headers on every page and API answer, and the metrics endpoint behind its token.

Most tests run on the memory container; the body limit and the proxy trust run on a real
uvicorn server (the test client reads a request body whole before the app sees it, and the
proxy headers are uvicorn's business too)."""

from __future__ import annotations

import json
import re
import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from dependency_injector import providers
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.domain.model.chat import ChatLimits
from aioomi.entrypoints.cli import proxy_options
from aioomi.entrypoints.http.app import create_app
from tests.fakes.stripe_fixtures import WEBHOOK_SECRET, sign
from tests.integration.accounts_support import (
    BASE_URL,
    build_container,
    link_token,
    make_settings,
    problem,
    serve,
    set_cookie_header,
    sign_up_and_verify,
    sign_up_body,
    wait_for_mail,
)
from tests.integration.chat_support import ORIGIN, RETURNS, chat_app
from tests.unit.chat_support import ListSearch

DEEP = 1_000  # deeper than the 400 allowed, and than the decoders' own recursion limit


def deep_json(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


# -- JSON depth and date ranges (the four 500s) ---------------------------------------------------


async def test_deeply_nested_json_is_a_422_problem_on_every_json_route(tmp_path: Path) -> None:
    async with serve("memory", tmp_path / "aioomi") as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        created = await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=owner.headers())
        agent_id = created.json()["id"]
        headers = owner.headers() | {"content-type": "application/json"}

        upload = await app.client.post(
            f"/api/v1/agents/{agent_id}/documents",
            content=b'{"title": "x", "text": ' + deep_json() + b"}",
            headers=headers,
        )
        problem(upload, 422, "json_too_deep")
        agent = await app.client.post(
            "/api/v1/agents", content=b'{"name": "x", "widget": ' + deep_json() + b"}", headers=headers
        )
        problem(agent, 422, "json_too_deep")
        # Nothing was stored by either.
        assert (await app.client.get(f"/api/v1/agents/{agent_id}/documents", headers=owner.headers())).json()[
            "data"
        ] == []
        assert len((await app.client.get("/api/v1/agents", headers=owner.headers())).json()["data"]) == 1

        # 400 levels are still JSON like any other (refused for its shape, not its depth).
        shallow = await app.client.post(
            "/api/v1/agents", content=b'{"name": "x", "widget": ' + deep_json(399) + b"}", headers=headers
        )
        problem(shallow, 422, "validation_failed")


async def test_a_validly_signed_deeply_nested_stripe_event_is_refused_not_a_500(tmp_path: Path) -> None:
    async with serve(
        "memory", tmp_path / "aioomi", stripe_webhook_secret=WEBHOOK_SECRET, stripe_secret_key="sk_test_unused"
    ) as app:
        body = (
            b'{"id": "evt_deep", "object": "event", "type": "customer.updated", "data": {"object": '
            + deep_json()
            + b"}}"
        )
        response = await app.client.post(
            "/webhooks/stripe",
            content=body,
            headers={"stripe-signature": sign(body), "content-type": "application/json"},
        )
        problem(response, 422, "json_too_deep")


@pytest.mark.parametrize(
    "query", ["to=9999-12-31", "to=0001-01-01", "from=0001-01-01&to=0001-01-02", "from=9999-12-31"]
)
async def test_usage_days_beyond_the_calendar_are_a_422(tmp_path: Path, query: str) -> None:
    async with serve("memory", tmp_path / "aioomi") as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        response = await app.client.get(f"/api/v1/usage?{query}", headers=owner.headers())
        body = problem(response, 422, "date_out_of_range")
        assert body["errors"][0]["field"] in ("from", "to")
        fine = await app.client.get("/api/v1/usage?from=2026-01-01&to=2026-01-31", headers=owner.headers())
        assert fine.status_code == 200, fine.text


async def test_the_conversations_page_answers_a_far_day_with_a_422_page(tmp_path: Path) -> None:
    async with serve("memory", tmp_path / "aioomi") as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=owner.headers())
        for query in ("to=9999-12-31", "from=0001-01-01"):
            page = await app.client.get(f"/dashboard/conversations?{query}", headers=owner.headers(csrf=False))
            assert page.status_code == 422, page.text
            assert page.headers["content-type"].startswith("text/html")
        fine = await app.client.get("/dashboard/conversations?to=2026-01-31", headers=owner.headers(csrf=False))
        assert fine.status_code == 200


# -- a real server: the body limit and proxy trust --------------------------------------------------


@dataclass
class Served:
    base: str
    client: httpx.Client
    owner_headers: dict[str, str]
    agent: dict[str, Any]

    @property
    def port(self) -> int:
        return int(urlsplit(self.base).port or 0)


@contextmanager
def real_server(data_dir: Path, **overrides: Any) -> Iterator[Served]:
    """The app on the memory container under uvicorn, configured the way ``aioomi serve`` does
    (its proxy options), with a verified owner and an agent allowed on ``ORIGIN``."""
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(data_dir, public_url=base, **overrides)
    container = build_container("memory", settings)
    container.chat_model.override(providers.Object(ScriptedChatModel(reply=lambda request: "Within 30 days [1].")))
    container.passage_search.override(providers.Object(ListSearch([RETURNS])))
    app = create_app(container, manage_lifecycle=True, run_worker=True)  # the worker mails the sign-up link
    with (
        serve_in_thread(
            app, sock, name="aioomi-edge", log_config=None, access_log=False, lifespan="on", **proxy_options(settings)
        ),
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        email = "owner@example.com"
        assert client.post("/api/v1/auth/signup", json=sign_up_body(email)).status_code == 202
        token = link_token(wait_for_mail(settings.outbox_dir, email, "verify_email"))
        verified = client.post("/api/v1/auth/verify-email", json={"token": token})
        assert verified.status_code == 200, verified.text
        headers = {"x-csrf-token": verified.json()["csrf_token"]}
        agent = client.post(
            "/api/v1/agents", json={"name": "Shop helper", "allowed_origins": [ORIGIN]}, headers=headers
        )
        assert agent.status_code == 201, agent.text
        yield Served(base=base, client=client, owner_headers=headers, agent=agent.json())


def _chunked_post(served: Served, path: str, chunk: bytes, chunks: int) -> tuple[int, dict[str, Any], int]:
    """POST a chunked body (no Content-Length) of ``chunks`` × ``chunk``, stopping as soon as the
    server answers; return the status, the JSON body and how many chunks went out."""
    cookie = "; ".join(f"{k}={v}" for k, v in served.client.cookies.items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: application/json\r\nCookie: {cookie}\r\n"
        f"X-CSRF-Token: {served.owner_headers['x-csrf-token']}\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:

        def frame(data: bytes) -> bytes:
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        sock.sendall(head + frame(b'{"title": "big", "text": "'))
        try:
            while sent < chunks and not select.select([sock], [], [], 0)[0]:
                sock.sendall(frame(chunk))
                sent += 1
            if sent == chunks:
                sock.sendall(frame(b'"}') + b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while data := sock.recv(65536):
            received += data
    head_part, _, body = received.partition(b"\r\n\r\n")
    status = int(head_part.split(b" ", 2)[1])
    return status, json.loads(body), sent


def test_a_chunked_upload_past_the_limit_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    limit = 1 << 20
    # 256 MiB offered, 1 MiB allowed: far more than the socket buffers on both sides can hold
    # (tcp_rmem grows to 32 MiB here), so what went out measures what the server read.
    chunk, chunks = b"a" * (64 * 1024), 4096
    with real_server(tmp_path / "aioomi", document_max_bytes=limit) as served:
        path = f"/api/v1/agents/{served.agent['id']}/documents"
        status, body, sent = _chunked_post(served, path, chunk, chunks)

        assert status == 413, body
        assert body["code"] == "payload_too_large" and body["status"] == 413, body
        # The server answered long before the client ran out of body to send.
        assert sent < chunks // 4, f"{sent} of {chunks} chunks were sent before the answer"
        listed = served.client.get(path)
        assert listed.json()["data"] == []

        # Below the limit, a chunked upload is an ordinary one.
        status, body, sent = _chunked_post(served, path, b"b" * 1024, 16)
        assert (status, sent) == (202, 16), body


def test_a_client_that_hangs_up_mid_upload_is_logged_as_its_doing_not_as_a_server_error(tmp_path: Path) -> None:
    with real_server(tmp_path / "aioomi") as served:
        cookie = "; ".join(f"{k}={v}" for k, v in served.client.cookies.items())
        path = f"/api/v1/agents/{served.agent['id']}/documents"
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nContent-Length: 500000\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nCookie: {cookie}\r\n"
            f"X-CSRF-Token: {served.owner_headers['x-csrf-token']}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", served.port)) as sock:
            sock.sendall(
                head + b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
                b"Content-Type: text/plain\r\n\r\n" + b"a" * 1000
            )
        # The request log is written in batches: read it until the cut-off upload shows up.
        for _ in range(100):
            logged = served.client.get(
                "/api/v1/request-log", params={"route": path.rsplit("/", 3)[0]}, headers=served.owner_headers
            ).json()["data"]
            uploads = [entry for entry in logged if entry["method"] == "POST" and entry["route"].endswith("/documents")]
            if uploads:
                break
            time.sleep(0.1)
        assert [entry["status"] for entry in uploads] == [400]
        assert (
            served.client.get(f"/api/v1/agents/{served.agent['id']}/documents", headers=served.owner_headers).json()[
                "data"
            ]
            == []
        )


def test_a_json_body_past_two_mebibytes_is_refused_unread(tmp_path: Path) -> None:
    # Not an upload route, so the JSON ceiling (2 MiB) applies, whatever the per-file limit is:
    # a well-formed 3 MiB body is refused for its size, before anyone decodes or validates it.
    name = "a" * (3 << 20)
    with real_server(tmp_path / "aioomi", document_max_bytes=64 << 20) as served:
        answer = served.client.post("/api/v1/agents", json={"name": name}, headers=served.owner_headers)

        assert answer.status_code == 413, answer.text[:300]
        assert answer.json()["code"] == "payload_too_large"
        assert served.client.get("/api/v1/agents", headers=served.owner_headers).json()["data"] == [served.agent]


def _widget_flood(served: Served, forwarded_for: list[str]) -> list[int]:
    """One message per entry, each claiming that address in X-Forwarded-For, spread over visitors
    so that no per-visitor limit is reached (10 a minute each)."""
    widget = f"/api/v1/widget/{served.agent['public_key']}"
    visitors = [f"edge-visitor-{i:08d}" for i in range(4)]
    sessions = {}
    for visitor in visitors:
        started = served.client.post(f"{widget}/sessions", headers={"origin": ORIGIN, "x-visitor-id": visitor})
        assert started.status_code == 201, started.text
        sessions[visitor] = started.json()["id"]
    statuses = []
    for n, address in enumerate(forwarded_for):
        visitor = visitors[n % len(visitors)]
        response = served.client.post(
            f"{widget}/sessions/{sessions[visitor]}/messages",
            params={"stream": "false"},
            json={"content": "Return policy?"},
            headers={"origin": ORIGIN, "x-visitor-id": visitor, "x-forwarded-for": address},
        )
        statuses.append(response.status_code)
    return statuses


def test_a_forged_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_ip_limit(tmp_path: Path) -> None:
    # Loopback is no proxy unless configured: uvicorn's default would believe it.
    with real_server(tmp_path / "aioomi") as served:
        statuses = _widget_flood(served, [f"198.51.100.{n}" for n in range(1, 32)])
    assert statuses == [200] * 30 + [429]  # the per-IP cap is 30 a minute (ChatLimits)
    assert ChatLimits().per_ip_minute == 30


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(tmp_path: Path) -> None:
    with real_server(tmp_path / "aioomi", trusted_proxies="127.0.0.1/32") as served:
        statuses = _widget_flood(served, [f"6.6.6.6, 198.51.100.{n}" for n in range(1, 32)])
    assert statuses == [200] * 31


async def test_the_app_itself_takes_the_client_address_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    """Under any ASGI server (here none: the app called directly, from a peer address of choice),
    the app applies the same rule as uvicorn: each limit counts the forwarded client's address
    when the peer is a trusted proxy, and the peer's own otherwise."""
    limits = ChatLimits(new_sessions_per_ip_minute=2)

    def configure(container: Any) -> None:
        container.chat_limits.override(providers.Object(limits))

    async with serve("memory", tmp_path / "aioomi", trusted_proxies="10.0.0.0/8", configure=configure) as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        agent = (
            await app.client.post(
                "/api/v1/agents", json={"name": "Helper", "allowed_origins": [ORIGIN]}, headers=owner.headers()
            )
        ).json()

        async def sessions(peer: str) -> list[int]:
            transport = httpx.ASGITransport(app.client.app, client=(peer, 40000))
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                return [
                    (
                        await client.post(
                            f"/api/v1/widget/{agent['public_key']}/sessions",
                            headers={
                                "origin": ORIGIN,
                                "x-visitor-id": f"proxied-visitor-{peer.replace('.', '-')}-{n:04d}",
                                "x-forwarded-for": f"6.6.6.6, 198.51.100.{n}",
                            },
                        )
                    ).status_code
                    for n in range(1, 6)
                ]

        assert await sessions("10.0.0.2") == [201] * 5  # five clients, one session each
        assert await sessions("203.0.113.5") == [201, 201, 429, 429, 429]  # one client claiming five addresses


# -- the session cookie's Secure flag ---------------------------------------------------------------

# (AIOOMI_PUBLIC_URL, the address the request is sent to, the peer, AIOOMI_TRUSTED_PROXIES,
#  more headers) → Secure
SECURE_CASES = [
    ("https://aioomi.example", "http://127.0.0.1", "127.0.0.1", "", {}, True),
    ("http://127.0.0.1", "http://127.0.0.1", "127.0.0.1", "", {}, False),
    ("http://127.0.0.1", "https://127.0.0.1", "127.0.0.1", "", {}, False),  # AIOOMI_PUBLIC_URL decides
    (None, "https://aioomi.example", "203.0.113.5", "", {}, True),
    (None, "http://aioomi.example", "203.0.113.5", "", {}, False),
    # The Host header decides nothing (it used to: loopback names turned Secure off).
    (None, "https://aioomi.example", "203.0.113.5", "", {"host": "localhost"}, True),
    (None, "http://aioomi.example", "203.0.113.5", "", {"host": "localhost"}, False),
    # X-Forwarded-Proto counts from a trusted proxy only.
    (None, "http://aioomi.example", "10.0.0.2", "10.0.0.0/8", {"x-forwarded-proto": "https"}, True),
    (None, "http://aioomi.example", "203.0.113.5", "10.0.0.0/8", {"x-forwarded-proto": "https"}, False),
    (None, "https://aioomi.example", "10.0.0.2", "10.0.0.0/8", {"x-forwarded-proto": "http"}, False),
]


@pytest.mark.parametrize(("public_url", "address", "peer", "trusted", "headers", "secure"), SECURE_CASES)
async def test_the_session_cookie_is_secure_by_the_public_scheme_never_the_host(
    tmp_path: Path, public_url: str | None, address: str, peer: str, trusted: str, headers: dict[str, str], secure: bool
) -> None:
    async with serve("memory", tmp_path / "aioomi", public_url=public_url, trusted_proxies=trusted) as app:
        await sign_up_and_verify(app, "owner@example.com")
        transport = httpx.ASGITransport(app.client.app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=address) as client:
            response = await client.post(
                "/api/v1/auth/sign-in",
                headers=headers,
                json={"email": "owner@example.com", "password": "correct horse battery staple"},
            )
        assert response.status_code == 200, response.text
        attributes = {part.strip().lower() for part in set_cookie_header(response).split(";")}
        assert ("secure" in attributes) is secure, set_cookie_header(response)


# -- widget sessions ----------------------------------------------------------------------------------


async def test_widget_sessions_are_rate_limited_per_visitor_and_per_ip(tmp_path: Path) -> None:
    limits = ChatLimits(new_sessions_per_visitor_minute=3, new_sessions_per_ip_minute=7)
    async with chat_app(tmp_path, None, limits=limits, backend="memory") as chat:
        same = [
            await chat.client.post(chat.widget("/sessions"), headers=chat.headers("flood-visitor-00000000"))
            for _ in range(4)
        ]
        assert [r.status_code for r in same] == [201, 201, 201, 429]
        problem(same[-1], 429, "rate_limited")
        assert int(same[-1].headers["retry-after"]) >= 1
        # A client that rotates its visitor id meets the IP limit (refused attempts count too).
        rotated = [
            await chat.client.post(chat.widget("/sessions"), headers=chat.headers(f"flood-visitor-{n:08d}"))
            for n in range(1, 6)
        ]
        assert [r.status_code for r in rotated] == [201, 201, 201, 429, 429]
        assert await chat.app.count("chat_sessions") == 6


async def test_the_default_limits_stop_a_burst_of_sessions_from_one_ip(tmp_path: Path) -> None:
    async with chat_app(tmp_path, None, backend="memory") as chat:
        statuses = [
            (
                await chat.client.post(chat.widget("/sessions"), headers=chat.headers(f"burst-visitor-{n:08d}"))
            ).status_code
            for n in range(25)
        ]
    assert statuses == [201] * 20 + [429] * 5


# -- security headers ---------------------------------------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not dict(attrs).get("src"):
            self.inline.append(f"<script> without src at line {self.getpos()[0]}")
        self.inline += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]
        self.inline += [
            f"<{tag} {name}={value}>"
            for name, value in attrs
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:")
        ]


def _csp(header: str) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: (d.strip().split(" ", 1) + [""])[1] for d in header.split(";") if d.strip()}


def _assert_protected(path: str, response: httpx.Response) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), path
    csp = _csp(headers.get("content-security-policy", ""))
    assert csp.get("frame-ancestors") == "'none'", (path, headers.get("content-security-policy"))
    script = csp.get("script-src", csp.get("default-src", ""))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (path, csp)
    if headers.get("content-type", "").startswith("text/html"):
        parser = _Scripts()
        parser.feed(response.text)
        assert parser.inline == [], (path, parser.inline)


async def test_every_page_and_api_answer_sends_the_security_headers(tmp_path: Path) -> None:
    # The live streams (the handoff inbox, a conversation's events) are crawled too: they end
    # after 0.2 s here instead of the default 300.
    async with chat_app(tmp_path, None, backend="memory", server={"handoff_stream_max_s": 0.2}) as chat:
        app, client, owner = chat.app, chat.client, chat.owner
        session_id = await chat.new_session()
        document = await client.post(
            f"/api/v1/agents/{chat.agent['id']}/documents",
            headers=owner.headers(),
            json={"title": "Returns", "text": "Return within 30 days."},
        )
        ids = {
            "agent_id": chat.agent["id"],
            "session_id": session_id,
            "document_id": document.json()["id"],
            "public_key": chat.key,
            "visitor_id": "visitor-0123456789abcdef",
            "name": "x.js",
            "key_id": "key_x",
            "export_id": "exp_x",
            "file_path": "app.js",
        }
        paths = set()
        for route in client.app.routes:
            if "GET" not in getattr(route, "methods", ()):
                continue
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: ids.get(m[1], "x"), route.path)
            paths.add(path)
        pages = {p for p in paths if p.startswith(("/dashboard", "/sign-", "/verify", "/forgot", "/reset", "/cancel"))}
        assert {"/dashboard/agents", f"/dashboard/agents/{chat.agent['id']}", "/dashboard/account", "/sign-in"} <= pages
        crawled = sorted(p for p in paths if not p.startswith(("/api/v1/widget/", "/widget")))
        assert "/schema" in crawled and "/api/v1/agents" in crawled
        for signed_in in (True, False):
            for path in crawled:
                response = await client.get(
                    path, headers=owner.headers(csrf=False) if signed_in else {}, follow_redirects=False
                )
                _assert_protected(path, response)
        # A problem answer and a 404 carry them too.
        _assert_protected("missing", await client.get("/api/v1/agents/agt_missing", headers=owner.headers()))
        _assert_protected("nowhere", await client.get("/nowhere"))

        # The widget's script and API are used from owners' sites: never frame-ancestors there.
        script = await client.get("/widget.js")
        assert script.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in script.headers
        config = await client.get(chat.widget("/config"), headers={"origin": ORIGIN})
        assert config.status_code == 200 and config.headers["access-control-allow-origin"] == ORIGIN
        assert "content-security-policy" not in config.headers
        assert app.settings.public_url == BASE_URL


async def test_the_api_docs_page_runs_no_inline_script(tmp_path: Path) -> None:
    async with serve("memory", tmp_path / "aioomi") as app:
        page = await app.client.get("/schema")
        _assert_protected("/schema", page)
        init = await app.client.get("/schema-assets/swagger-init.js")
        assert init.status_code == 200 and "SwaggerUIBundle" in init.text
        assert 'data-spec-url="/schema/openapi.json"' in page.text


# -- metrics ------------------------------------------------------------------------------------------

TOKEN = "metrics-token-0123456789abcdef"


async def test_metrics_do_not_exist_without_a_token(tmp_path: Path) -> None:
    async with serve("memory", tmp_path / "aioomi") as app:
        problem(await app.client.get("/metrics"), 404, "not_found")
        problem(await app.client.get("/metrics", headers={"authorization": "Bearer anything"}), 404, "not_found")


async def test_metrics_need_the_bearer_token(tmp_path: Path) -> None:
    async with serve("memory", tmp_path / "aioomi", metrics_token=TOKEN) as app:
        problem(await app.client.get("/metrics"), 401)
        wrong = await app.client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}x"})
        problem(wrong, 401)
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        problem(await app.client.get("/metrics", headers={"authorization": f"Basic {TOKEN}"}), 401)
        right = await app.client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and "aioomi_requests_total" in right.text
