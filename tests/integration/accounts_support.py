"""Helpers for the accounts and sign-in tests: a container with a fast password hasher, the
app served to a test client, the outbox, and the steps most tests start with (sign up, follow
the link, sign in).

Import the fixtures into a test module (``from tests.integration.accounts_support import
pg_app  # noqa: F401``) like any other fixture module.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import psycopg
import pytest
import structlog
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from testkit.accounts import FAST_HASH as FAST_HASH
from testkit.accounts import PASSWORD as PASSWORD
from testkit.accounts import fast_hasher as fast_hasher
from testkit.accounts import sign_up_body as sign_up_body

from aioomi.adapters.local.outbox_mailer import read_outbox
from aioomi.container import Container, container_in_memory, container_on_postgres, start, stop
from aioomi.domain.model.mail import EmailMessage
from aioomi.entrypoints.http.app import create_app
from aioomi.entrypoints.http.auth import SESSION_COOKIE
from aioomi.settings import Settings

PROBLEM = "application/problem+json"
BASE_URL = "http://127.0.0.1"  # loopback: the session cookie is not Secure, so the client sends it back


def use_fast_hasher(container: Container) -> Container:
    container.password_hasher.override(providers.Object(fast_hasher()))
    return container


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=str(data_dir), log_format="console", **overrides)


def build_container(backend: str, settings: Settings, conninfo: str | None = None) -> Container:
    if backend == "postgres":
        assert conninfo is not None
        container = container_on_postgres(settings=settings, conninfo=conninfo)
    else:
        container = container_in_memory(settings=settings)
    return use_fast_hasher(container)


@dataclass
class App:
    """A started container, the app on it, and a client speaking to it.

    The container runs on the test's event loop (tests may use it directly), while the test
    client serves the app from a thread with a loop of its own, and the test's loop waits,
    blocked, for each answer. The pool cannot open a connection while a request runs, so
    :func:`serve` opens enough at start (``db_pool_min``) for the most a request takes at once.
    """

    container: Container
    settings: Settings
    client: AsyncTestClient
    conninfo: str | None = None
    backend: str = "postgres"

    def outbox(self) -> list[EmailMessage]:
        return read_outbox(self.settings.outbox_dir)

    @asynccontextmanager
    async def another_client(self, base_url: str = BASE_URL, **headers: str) -> AsyncIterator[AsyncTestClient]:
        """A second browser on the same app (its own cookie jar)."""
        async with AsyncTestClient(self.client.app, base_url=base_url) as client:
            client.headers.update(headers)
            yield client

    async def count(self, table: str) -> int:
        """Rows stored in ``table``, whatever the tenant (read as the database owner)."""
        if self.backend == "memory":
            return len(self.container.memory_database().table(table))
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            row = await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone()
            assert row is not None
            return int(row[0])


@asynccontextmanager
async def serve(
    backend: str,
    data_dir: Path,
    conninfo: str | None = None,
    *,
    base_url: str = BASE_URL,
    configure: Callable[[Container], None] | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[App]:
    """Start a container (fast hasher; ``configure`` may override more providers before it
    starts) and serve the app on it to a test client at ``base_url``."""
    settings_overrides.setdefault("public_url", base_url)
    settings_overrides.setdefault("db_pool_min", 4)  # see App
    settings = make_settings(data_dir, **settings_overrides)
    container = build_container(backend, settings, conninfo)
    if configure is not None:
        configure(container)
    await start(container)
    try:
        app = create_app(container, manage_lifecycle=False)
        async with AsyncTestClient(app, base_url=base_url) as client:
            try:
                yield App(container=container, settings=settings, client=client, conninfo=conninfo, backend=backend)
            finally:
                provider = container.identity_provider()
                if provider is not None:  # its connections were opened on the client's loop
                    client.blocking_portal.call(provider.aclose)
    finally:
        await stop(container)


@pytest.fixture
async def pg_app(pg_conninfo: str, tmp_path: Path) -> AsyncIterator[App]:
    """The app on a fresh Postgres database, served at http://127.0.0.1."""
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
        yield app


@pytest.fixture
async def memory_app(tmp_path: Path) -> AsyncIterator[App]:
    async with serve("memory", tmp_path / "aioomi") as app:
        yield app


# -- mail ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[?&]token=([^\s&]+)")


def link_token(message: EmailMessage) -> str:
    """The token of the (one) link in a message."""
    found = _TOKEN.findall(message.text)
    assert len(found) == 1, message.text
    return unquote(found[0])


def mails_to(outbox: list[EmailMessage], email: str, kind: str | None = None) -> list[EmailMessage]:
    return [m for m in outbox if m.to == email and (kind is None or m.kind == kind)]


def last_mail_to(outbox: list[EmailMessage], email: str, kind: str) -> EmailMessage:
    found = mails_to(outbox, email, kind)
    assert found, f"no {kind} mail to {email}: {[(m.to, m.kind) for m in outbox]}"
    return found[-1]


def wait_for_mail(outbox_dir: str | Path, email: str, kind: str, *, within_s: float = 60.0) -> EmailMessage:
    """The newest ``kind`` mail to ``email`` in an outbox folder that a worker in another thread
    fills (sign-up mail goes by a job): polls until it is there, fails after ``within_s``."""
    import time

    deadline = time.monotonic() + within_s
    while True:
        found = mails_to(read_outbox(outbox_dir), email, kind)
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"no {kind} mail to {email} within {within_s} s"
        time.sleep(0.05)


async def async_wait_for_mail(outbox_dir: str | Path, email: str, kind: str, *, within_s: float = 60.0) -> EmailMessage:
    """:func:`wait_for_mail` for a test on an event loop (the worker runs on the same or another loop)."""
    import asyncio
    import time

    deadline = time.monotonic() + within_s
    while True:
        found = mails_to(read_outbox(outbox_dir), email, kind)
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"no {kind} mail to {email} within {within_s} s"
        await asyncio.sleep(0.05)


async def run_sign_up_mail_jobs(app: App) -> None:
    """Run the queued sign-up mail jobs only (the verification link or the "someone tried to sign
    up" notice), through the worker's own handler: no periodic sweeps run on the side."""
    from aioomi.domain.model.accounts import SEND_SIGN_UP_MAIL_JOB
    from aioomi.entrypoints.worker.account_jobs import handlers

    handle = handlers(app.container)[SEND_SIGN_UP_MAIL_JOB]
    jobs = app.container.job_store()
    while (job := await jobs.claim("test", frozenset({SEND_SIGN_UP_MAIL_JOB}), timedelta(minutes=1))) is not None:
        await handle(job.payload)
        await jobs.complete(job.id, "test")


async def run_jobs(app: App) -> None:
    """Run every queued job as the worker would (reset and verification links are mailed by jobs)."""
    from aioomi.entrypoints.worker.jobs import build_worker

    await build_worker(app.container).run_until_idle()


# -- HTTP steps ---------------------------------------------------------------------------------


def cookie_from(response: Any, name: str = SESSION_COOKIE) -> str:
    """The value the response sets for the cookie ``name``."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            return jar[name].value
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def set_cookie_header(response: Any, name: str = SESSION_COOKIE) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def with_session(token: str, csrf: str | None = None) -> dict[str, str]:
    """Headers that present a session cookie (and the CSRF token) explicitly."""
    headers = {"cookie": f"{SESSION_COOKIE}={token}"}
    if csrf is not None:
        headers["x-csrf-token"] = csrf
    return headers


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


@dataclass
class Owner:
    """A signed-in owner as the tests see them."""

    account_id: str
    email: str
    password: str
    session_token: str
    session_id: str
    csrf: str

    def headers(self, *, csrf: bool = True) -> dict[str, str]:
        return with_session(self.session_token, self.csrf if csrf else None)


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status`` (and ``code``); return its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].split(";")[0] == PROBLEM, response.headers
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys(), body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


async def sign_up(client: AsyncTestClient, email: str, **body: Any) -> None:
    response = await client.post("/api/v1/auth/signup", json=sign_up_body(email, **body))
    assert response.status_code == 202, response.text


async def verify_from_outbox(app: App, client: AsyncTestClient, email: str) -> Owner:
    await run_sign_up_mail_jobs(app)  # the sign-up's verification link is mailed by a job
    token = link_token(last_mail_to(app.outbox(), email, "verify_email"))
    # Each owner confirms in a browser where no other owner is signed in (else: refused).
    client.cookies.pop(SESSION_COOKIE, None)
    response = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200, response.text
    body = response.json()
    return Owner(
        account_id=body["account"]["id"],
        email=email,
        password=PASSWORD,
        session_token=cookie_from(response),
        session_id=body["session_id"],
        csrf=body["csrf_token"],
    )


async def sign_up_and_verify(app: App, email: str, *, client: AsyncTestClient | None = None, **body: Any) -> Owner:
    """Sign up through the API and follow the link from the outbox: a verified, signed-in owner."""
    client = client or app.client
    await sign_up(client, email, **body)
    owner = await verify_from_outbox(app, client, email)
    owner.password = body.get("password", PASSWORD)
    return owner


async def sign_in(client: AsyncTestClient, email: str, password: str = PASSWORD, **headers: str) -> Any:
    return await client.post("/api/v1/auth/sign-in", json={"email": email, "password": password}, headers=headers)


async def signed_in(client: AsyncTestClient, owner: Owner) -> Owner:
    """Sign ``owner`` in again: the same owner with the new session."""
    response = await sign_in(client, owner.email, owner.password)
    assert response.status_code == 200, response.text
    body = response.json()
    return Owner(
        account_id=body["account"]["id"],
        email=owner.email,
        password=owner.password,
        session_token=cookie_from(response),
        session_id=body["session_id"],
        csrf=body["csrf_token"],
    )


# -- logs ---------------------------------------------------------------------------------------


@dataclass
class CapturedLogs:
    caplog: pytest.LogCaptureFixture
    capfd: pytest.CaptureFixture[str]

    def text(self, *, except_loggers: tuple[str, ...] = ()) -> str:
        """Every captured record (message and traceback), and whatever reached stdout/stderr."""
        handler = self.caplog.handler
        records = [r for r in self.caplog.records if r.name not in except_loggers]
        out, err = self.capfd.readouterr()
        return "\n".join([*(handler.format(r) for r in records), out, err])

    def names(self) -> set[str]:
        return {r.name for r in self.caplog.records}


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[CapturedLogs]:
    """Everything the app logs at any level, as the entry points configure it: structlog events
    go through the standard library (rendered as JSON, like production's formatter)."""
    saved = structlog.get_config()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    caplog.set_level(logging.DEBUG)
    try:
        yield CapturedLogs(caplog, capfd)
    finally:
        structlog.configure(**saved)
