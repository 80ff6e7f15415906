"""Outbound webhooks on Postgres, end to end: an endpoint made over HTTP, an event enqueued
with the change it reports, the worker posting it to an in-process loopback receiver that
verifies the Standard Webhooks signature with the specification's own package, retries after
500, 500 and delivery on the 200 (the same webhook-id each time, delivered once), the delivery
log, manual redelivery, test events; a rolled-back change emits nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.adapters.web.url_fetcher import parse_networks
from aioomi.adapters.web.webhook_sender import HttpWebhookTransport
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.documents import UrlNotAllowed
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.webhooks import WebhookRequest, new_secret
from aioomi.domain.usecases.webhooks.support import emit_event
from tests.fakes.webhook_receiver import WebhookReceiver, served_receiver
from tests.integration.accounts_support import App, problem, serve
from tests.integration.test_documents_http import AGENTS, owner_with_agent, run_worker, sql
from tests.unit.knowledge_support import use_test_embedders

HOOKS = "/api/v1/webhook-endpoints"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """Two minutes ahead of the database's clock, so a retry is not due until the test says
    so (``make_due``), and close enough to real time for the receiver's signature check
    (which refuses timestamps more than five minutes off)."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=2))


@pytest.fixture
async def app(pg_conninfo: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[App]:
    def configure(container) -> None:
        use_test_embedders(container)
        container.clock.override(providers.Object(clock))

    async with serve(
        "postgres", tmp_path / "aioomi", pg_conninfo, configure=configure, url_fetch_allowed_networks="127.0.0.1/32"
    ) as app:
        yield app


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with served_receiver() as receiver:
        yield receiver


async def make_due(app: App) -> None:
    """The retry's time has come (the queue reads the database's clock)."""
    async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
        await conn.execute("UPDATE jobs SET run_at = now() WHERE kind = 'webhooks.deliver' AND status = 'queued'")


async def test_an_event_is_signed_retried_after_two_500s_and_delivered_once_with_one_webhook_id(
    app: App, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    start = clock.now()
    owner, agent_id = await owner_with_agent(app)
    created = await app.client.post(
        HOOKS,
        json={"url": receiver.url, "events": ["document.ready", "document.failed"], "description": "CRM"},
        headers=owner.headers(),
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["events"] == ["document.ready", "document.failed"]
    assert "secret" not in (await app.client.get(f"{HOOKS}/{endpoint['id']}", headers=owner.headers())).json()
    receiver.secret = endpoint["secret"]
    receiver.statuses = [500, 500]

    upload = await app.client.post(
        f"{AGENTS}/{agent_id}/documents",
        headers=owner.headers(),
        files={"file": ("hours.txt", b"The shop opens at nine.", "text/plain")},
    )
    assert upload.status_code == 202, upload.text
    document_id = upload.json()["id"]
    await run_worker(app)  # ingestion → ready → the event → the first request: 500
    assert [r.answered for r in receiver.received] == [500]
    [(run_at,)] = await sql(app, "SELECT run_at FROM jobs WHERE kind = 'webhooks.deliver' AND status = 'queued'")
    # the first retry waits 30 s, give or take a quarter (jitter)
    assert start + timedelta(seconds=22.5) <= run_at <= start + timedelta(seconds=37.5)

    await run_worker(app)  # not due yet: nothing sent
    assert len(receiver.received) == 1
    clock.advance(timedelta(seconds=40))
    await make_due(app)
    await run_worker(app)  # second request: 500; the next waits about a minute
    [(run_at,)] = await sql(app, "SELECT run_at FROM jobs WHERE kind = 'webhooks.deliver' AND status = 'queued'")
    assert start + timedelta(seconds=40 + 45) <= run_at <= start + timedelta(seconds=40 + 75)
    clock.advance(timedelta(seconds=80))
    await make_due(app)
    await run_worker(app)  # third: 200, delivered
    await make_due(app)
    await run_worker(app)  # nothing left to send
    assert [r.answered for r in receiver.received] == [500, 500, 200]
    assert all(r.verified for r in receiver.received)
    assert len({r.webhook_id for r in receiver.received}) == 1
    event = receiver.received[-1].body
    assert event is not None and event["id"] == receiver.received[0].webhook_id
    assert (event["type"], event["version"], event["data"]["document_id"], event["data"]["status"]) == (
        "document.ready",
        1,
        document_id,
        "ready",
    )
    assert await sql(app, "SELECT status, attempts FROM webhook_deliveries") == [("delivered", 3)]

    log = (await app.client.get(f"{HOOKS}/{endpoint['id']}/attempts", headers=owner.headers())).json()["data"]
    assert [(a["number"], a["status_code"], a["succeeded"]) for a in log] == [
        (3, 200, True),
        (2, 500, False),
        (1, 500, False),
    ]
    assert all(len(a["response_excerpt"]) == 1000 and a["event_id"] == event["id"] for a in log)

    # manual redelivery: one more request, the same webhook-id, marked manual in the log
    again = await app.client.post(f"{HOOKS}/{endpoint['id']}/events/{event['id']}/redeliver", headers=owner.headers())
    assert again.status_code == 202, again.text
    await run_worker(app)
    assert [r.webhook_id for r in receiver.received[3:]] == [event["id"]]
    log = (await app.client.get(f"{HOOKS}/{endpoint['id']}/attempts", headers=owner.headers())).json()["data"]
    assert (log[0]["number"], log[0]["manual"], log[0]["status_code"]) == (4, True, 200)

    # a test event goes to this endpoint only, whatever it subscribed to
    test = await app.client.post(f"{HOOKS}/{endpoint['id']}/test", headers=owner.headers())
    assert test.status_code == 202
    await run_worker(app)
    last = receiver.received[-1]
    assert (
        last.verified
        and last.body is not None
        and (last.webhook_id, last.body["type"]) == (test.json()["event_id"], "webhook.test")
    )

    # rotating the secret: the old one no longer verifies, the new one does
    rotated = (await app.client.post(f"{HOOKS}/{endpoint['id']}/rotate-secret", headers=owner.headers())).json()
    assert rotated["secret"] != endpoint["secret"]
    await app.client.post(f"{HOOKS}/{endpoint['id']}/test", headers=owner.headers())
    await run_worker(app)
    assert receiver.received[-1].verified is False
    receiver.secret = rotated["secret"]
    await app.client.post(f"{HOOKS}/{endpoint['id']}/test", headers=owner.headers())
    await run_worker(app)
    assert receiver.received[-1].verified is True


async def test_a_rolled_back_change_emits_nothing_and_a_committed_one_carries_its_event(
    app: App, receiver: WebhookReceiver
) -> None:
    owner, agent_id = await owner_with_agent(app)
    created = await app.client.post(
        HOOKS, json={"url": receiver.url, "events": ["conversation.started"]}, headers=owner.headers()
    )
    assert created.status_code == 201
    uow = app.container.uow()

    def session() -> ChatSession:
        return ChatSession(
            id=new_id("ses"),
            account_id=owner.account_id,
            agent_id=agent_id,
            visitor_id="visitor-0001-abcdef",
            created_at=START,
        )

    class Boom(Exception):
        pass

    rolled_back = session()
    with pytest.raises(Boom):
        async with uow(account_id=owner.account_id) as u:
            await u.chat_sessions.add(rolled_back)
            emit_event(
                u, account_id=owner.account_id, type="conversation.started", data={"id": rolled_back.id}, at=START
            )
            raise Boom()
    assert await sql(app, "SELECT count(*) FROM chat_sessions") == [(0,)]
    assert await sql(app, "SELECT count(*) FROM webhook_events") == [(0,)]
    assert await sql(app, "SELECT count(*) FROM jobs WHERE kind = 'webhooks.deliver'") == [(0,)]

    kept = session()
    async with uow(account_id=owner.account_id) as u:
        await u.chat_sessions.add(kept)
        emit_event(u, account_id=owner.account_id, type="conversation.started", data={"id": kept.id}, at=START)
        await u.commit()
    assert await sql(app, "SELECT id FROM chat_sessions") == [(kept.id,)]
    assert await sql(app, "SELECT type, data ->> 'id' FROM webhook_events") == [("conversation.started", kept.id)]
    assert await sql(app, "SELECT count(*) FROM webhook_deliveries") == [(1,)]
    assert await sql(app, "SELECT count(*) FROM jobs WHERE kind = 'webhooks.deliver'") == [(1,)]

    # an event no endpoint wants is not stored at all
    async with uow(account_id=owner.account_id) as u:
        emit_event(u, account_id=owner.account_id, type="message.created", data={}, at=START)
        await u.commit()
    assert await sql(app, "SELECT count(*) FROM webhook_events") == [(1,)]


async def test_endpoints_refuse_private_addresses_unknown_events_and_other_accounts(app: App) -> None:
    owner, _ = await owner_with_agent(app)
    other, _ = await owner_with_agent(app, "bob@example.com")
    problem(
        await app.client.post(
            HOOKS, json={"url": "http://10.0.0.7/hook", "events": ["message.created"]}, headers=owner.headers()
        ),
        422,
        "url_not_allowed",
    )
    problem(
        await app.client.post(
            HOOKS, json={"url": "http://169.254.169.254/latest", "events": ["message.created"]}, headers=owner.headers()
        ),
        422,
        "url_not_allowed",
    )
    problem(
        await app.client.post(
            HOOKS, json={"url": "ftp://example.com/x", "events": ["message.created"]}, headers=owner.headers()
        ),
        422,
        "invalid_webhook_endpoint",
    )
    problem(
        await app.client.post(
            HOOKS, json={"url": "http://127.0.0.1:9/x", "events": ["message.sent"]}, headers=owner.headers()
        ),
        422,
        "invalid_webhook_endpoint",
    )
    mine = await app.client.post(
        HOOKS, json={"url": "http://127.0.0.1:9/x", "events": ["message.created"]}, headers=owner.headers()
    )
    assert mine.status_code == 201
    endpoint_id = mine.json()["id"]
    for response in (
        await app.client.get(f"{HOOKS}/{endpoint_id}", headers=other.headers()),
        await app.client.delete(f"{HOOKS}/{endpoint_id}", headers=other.headers()),
        await app.client.post(f"{HOOKS}/{endpoint_id}/test", headers=other.headers()),
    ):
        problem(response, 404, "webhook_endpoint_not_found")
    assert (await app.client.get(HOOKS, headers=other.headers())).json()["data"] == []
    switched = await app.client.patch(f"{HOOKS}/{endpoint_id}", json={"enabled": False}, headers=owner.headers())
    assert (switched.json()["enabled"], switched.json()["disabled_reason"]) == (False, "manual")
    assert (await app.client.delete(f"{HOOKS}/{endpoint_id}", headers=owner.headers())).status_code == 204
    assert (await app.client.get(HOOKS, headers=owner.headers())).json()["data"] == []


async def test_the_transport_refuses_private_addresses_follows_no_redirect_and_gives_up_after_its_timeout(
    receiver: WebhookReceiver,
) -> None:
    receiver.secret = new_secret()
    request = WebhookRequest(
        url=receiver.url,
        secret=receiver.secret,
        message_id="evt_1",
        timestamp=datetime.now(UTC),
        body=b'{"id": "evt_1"}',
    )
    refused = await HttpWebhookTransport().send(request)  # loopback is not in the allowed networks
    assert (refused.status_code, refused.succeeded, receiver.received) == (None, False, [])
    assert refused.error is not None and "not allowed" in refused.error
    with pytest.raises(UrlNotAllowed):
        await HttpWebhookTransport().check_url(receiver.url)

    loopback = parse_networks("127.0.0.1/32")
    receiver.statuses = [302]
    moved = await HttpWebhookTransport(allowed_networks=loopback).send(request)
    assert (moved.status_code, moved.succeeded, len(receiver.received)) == (302, False, 1)  # not followed
    assert receiver.received[0].verified

    receiver.delay_s = 3.0
    slow = await HttpWebhookTransport(allowed_networks=loopback, timeout_s=0.5).send(request)
    assert (slow.status_code, slow.succeeded) == (None, False)
    assert slow.error is not None and "No answer within 0.5 s" in slow.error


async def test_the_dashboard_pages_list_endpoints_and_show_one_with_its_log(
    app: App, receiver: WebhookReceiver
) -> None:
    owner, _ = await owner_with_agent(app)
    assert "No endpoints yet." in (await app.client.get("/dashboard/webhooks", headers=owner.headers())).text
    endpoint = (
        await app.client.post(
            HOOKS,
            json={"url": receiver.url, "events": ["message.created"], "description": "Kettle CRM"},
            headers=owner.headers(),
        )
    ).json()
    receiver.secret = endpoint["secret"]
    await app.client.post(f"{HOOKS}/{endpoint['id']}/test", headers=owner.headers())
    await run_worker(app)
    listing = (await app.client.get("/dashboard/webhooks", headers=owner.headers())).text
    assert receiver.url in listing and "Kettle CRM" in listing and endpoint["secret"] not in listing
    page = await app.client.get(f"/dashboard/webhooks/{endpoint['id']}", headers=owner.headers())
    assert page.status_code == 200
    assert "webhook.test" in page.text and "200 delivered" in page.text and endpoint["secret"] not in page.text
    other, _ = await owner_with_agent(app, "bob@example.com")
    assert (await app.client.get(f"/dashboard/webhooks/{endpoint['id']}", headers=other.headers())).status_code == 404
