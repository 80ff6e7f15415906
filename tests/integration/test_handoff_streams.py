"""The handoff's SSE streams hold no database connection while idle: with a pool of three
connections (the in-process worker's jobs may hold one) and a five-second pool timeout, ten
visitors' streams open at once for three seconds each, and an owner's request in the middle, are
all served (streams holding a connection for their life would starve the others past the pool
timeout: with two connections left, the fifth stream would wait six seconds, 503). Served by uvicorn, so the streams really
run at the same time."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from testkit.serving import loopback_socket, serve_in_thread

from aioomi.container import container_on_postgres
from aioomi.domain.model.chat import ChatLimits
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings
from tests.integration.accounts_support import link_token, sign_up_body, use_fast_hasher, wait_for_mail

VISITOR = "visitor-0123456789abcdef"


@pytest.fixture
def served(pg_conninfo: str) -> Iterator[tuple[str, Settings]]:
    data_dir = Path(tempfile.mkdtemp(prefix="aioomi-streams-"))
    sock = loopback_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=str(data_dir),
        log_format="console",
        public_url=base,
        worker_poll_s=0.2,
        demo="off",
        db_pool_min=3,
        db_pool_max=3,
        db_connect_timeout_s=5,
        handoff_poll_s=0.05,
        handoff_stream_max_s=3,
    )
    container = use_fast_hasher(container_on_postgres(settings=settings, conninfo=pg_conninfo))
    from dependency_injector import providers

    container.chat_limits.override(
        providers.Object(ChatLimits(new_sessions_per_visitor_minute=100, new_sessions_per_ip_minute=100))
    )
    app = create_app(container, run_worker=True, manage_lifecycle=True)
    with serve_in_thread(
        app,
        sock,
        name="aioomi-streams-app",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    ):
        yield base, settings
    shutil.rmtree(data_dir, ignore_errors=True)


async def test_idle_streams_hold_no_database_connection(served: tuple[str, Settings]) -> None:
    base, settings = served
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        assert (await client.post("/api/v1/auth/signup", json=sign_up_body("streams@example.com"))).status_code == 202
        token = link_token(
            await asyncio.to_thread(wait_for_mail, settings.outbox_dir, "streams@example.com", "verify_email")
        )
        verified = await client.post("/api/v1/auth/verify-email", json={"token": token})
        owner = {"X-CSRF-Token": verified.json()["csrf_token"]}
        agent = (
            await client.post(
                "/api/v1/agents",
                headers=owner,
                json={"name": "Helper", "allowed_origins": ["https://shop.example.com"]},
            )
        ).json()
        await client.patch(
            f"/api/v1/agents/{agent['id']}/handoff-settings",
            headers=owner,
            json={
                "enabled": True,
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "opens": "00:00",
                "closes": "24:00",
            },
        )
        widget = f"/api/v1/widget/{agent['public_key']}"
        visitor = {"origin": "https://shop.example.com", "x-visitor-id": VISITOR}
        sessions = []
        for _ in range(10):
            session_id = (await client.post(f"{widget}/sessions", headers=visitor)).json()["id"]
            requested = await client.post(f"{widget}/sessions/{session_id}/handoff", headers=visitor, json={})
            assert requested.json()["state"] == "waiting"
            sessions.append(session_id)

        async def stream(session_id: str) -> tuple[int, str]:
            response = await client.get(
                f"{widget}/sessions/{session_id}/handoff/events", headers=visitor | {"last-event-id": "0"}
            )
            return response.status_code, response.text

        async def inbox_meanwhile() -> int:
            await asyncio.sleep(1)
            return (await client.get("/api/v1/handoffs", headers=owner)).status_code

        *streams, inbox = await asyncio.gather(*[stream(s) for s in sessions], inbox_meanwhile())
        assert inbox == 200
        for status, text in streams:
            assert status == 200, text
            assert text.startswith("retry: 2000") and "event: requested" in text and "id: 1\n" in text
