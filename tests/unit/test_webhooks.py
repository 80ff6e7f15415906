"""Outbound webhooks on the memory adapters: the retry schedule and the switch-off rule (their
figures written here), endpoint checks, a chat turn's events, and an endpoint that never
answers well: every retry made, then the delivery fails, the endpoint is switched off and the
owner is told by e-mail, while a working endpoint of the same account carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from dependency_injector import providers

from aioomi.adapters.local.outbox_mailer import read_outbox
from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatSession, Passage
from aioomi.domain.model.feedback import FeedbackNotAllowed
from aioomi.domain.model.handoff import HandoffSettingsChanges, HandoffTransitionRefused, Weekday
from aioomi.domain.model.leads import FieldKind, LeadField, LeadForm
from aioomi.domain.model.webhooks import (
    InvalidWebhookEndpoint,
    WebhookEndpoint,
    WebhookRequest,
    WebhookResponse,
    check_endpoint_url,
    check_events,
    retry_delay,
    should_disable,
)
from aioomi.domain.usecases.answer_chat import ChatCaller
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.entrypoints.worker.jobs import build_worker
from aioomi.settings import Settings
from tests.unit.chat_support import VISITOR, ListSearch, account, agent_for, answer_chat, store

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


# -- pure rules ---------------------------------------------------------------------------------


def test_retries_double_from_30_seconds_to_8_hours_and_stop_after_19_requests_about_three_days() -> None:
    minutes = [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256] + [480] * 8  # 8 h cap from the 11th wait on
    assert [retry_delay(n, 0.0) for n in range(1, 19)] == [timedelta(minutes=m) for m in minutes]
    assert retry_delay(19, 0.0) is None
    assert sum(minutes) == 4351.5  # minutes: 72.5 hours and a bit, about three days
    assert retry_delay(1, 0.25) == timedelta(seconds=37.5)
    assert retry_delay(1, -0.25) == timedelta(seconds=22.5)
    with pytest.raises(ValueError):
        retry_delay(1, 0.3)


def test_an_endpoint_is_switched_off_only_after_three_days_without_success() -> None:
    endpoint = WebhookEndpoint(
        id="whe_1",
        account_id="acct_1",
        url="https://example.com/h",
        events=("message.created",),
        secret="whsec_x",
        created_at=T0,
        updated_at=T0,
    )
    now = T0 + timedelta(days=10)
    assert not should_disable(endpoint, now)  # never failed
    failing = msgspec.structs.replace(endpoint, failing_since=now - timedelta(days=2, hours=23))
    assert not should_disable(failing, now)
    assert should_disable(msgspec.structs.replace(failing, failing_since=now - timedelta(days=3)), now)
    assert not should_disable(
        msgspec.structs.replace(failing, failing_since=now - timedelta(days=4), enabled=False), now
    )


def test_endpoint_addresses_and_events_are_checked() -> None:
    assert check_events(["source.synced", "message.created"]) == ("message.created", "source.synced")
    for bad in ([], ["message.sent"]):
        with pytest.raises(InvalidWebhookEndpoint):
            check_events(bad)
    assert check_endpoint_url(" https://hooks.example.com/in?t=1 ") == "https://hooks.example.com/in?t=1"
    for bad in (
        "ftp://example.com/",
        "https://user:pw@example.com/",
        "https://example.com/#x",
        "example.com",
        "https://" + "a" * 2000 + ".com/",
    ):
        with pytest.raises(InvalidWebhookEndpoint):
            check_endpoint_url(bad)


# -- use cases on the memory container ----------------------------------------------------------


@dataclass
class FakeTransport:
    """Answers every request with the status scripted for its URL (200 by default); every
    address is allowed."""

    statuses: dict[str, int] = field(default_factory=dict)
    sent: list[WebhookRequest] = field(default_factory=list)

    async def check_url(self, url: str) -> None:
        return None

    async def send(self, request: WebhookRequest) -> WebhookResponse:
        self.sent.append(request)
        return WebhookResponse(status_code=self.statuses.get(request.url, 200), latency_ms=3, excerpt="ok")


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
async def container(tmp_path: Path, transport: FakeTransport) -> AsyncIterator[container_in_memory]:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path / "aioomi"), log_format="console"))
    container.clock.override(providers.Object(ManualClock(T0)))
    container.webhook_transport.override(providers.Object(transport))
    await start(container)
    yield container
    await stop(container)


async def run_worker(container: Container) -> None:
    await build_worker(container).run_until_idle()


async def test_a_chat_turn_emits_conversation_started_and_both_messages(
    container: Container, transport: FakeTransport
) -> None:
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    await container.create_webhook_endpoint()(
        principal, url="https://crm.example.com/in", events=["conversation.started", "message.created"]
    )
    await container.create_webhook_endpoint()(principal, url="https://other.example.com/in", events=["source.synced"])
    passage = Passage(document_id="doc_1", document_title="Returns", position=0, text="Return items within 30 days.")
    chat = answer_chat(container, ScriptedChatModel(reply=lambda r: "Within 30 days [1]."), ListSearch([passage]))
    answer = await chat(agent, ChatCaller(visitor_id=VISITOR), "Return items how?")
    [e async for e in answer.events()]
    await run_worker(container)

    bodies = [msgspec.json.decode(r.body) for r in transport.sent]
    assert {r.url for r in transport.sent} == {"https://crm.example.com/in"}
    assert sorted((b["type"], b["data"].get("role")) for b in bodies) == [
        ("conversation.started", None),
        ("message.created", "assistant"),
        ("message.created", "user"),
    ]
    by_role = {b["data"].get("role"): b["data"] for b in bodies}
    assert (by_role["user"]["content"], by_role["assistant"]["content"]) == ("Return items how?", "Within 30 days [1].")
    assert by_role["assistant"]["citations"] == [{"document_id": "doc_1", "title": "Returns", "url": None}]
    assert all(b["data"]["conversation_id"] == answer.session_id for b in bodies)
    assert all(r.message_id == b["id"] for r, b in zip(transport.sent, bodies, strict=True))


async def test_a_vote_emits_feedback_created_and_a_refused_vote_emits_nothing(
    container: Container, transport: FakeTransport
) -> None:
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    await container.create_webhook_endpoint()(principal, url="https://crm.example.com/in", events=["feedback.created"])
    chat = answer_chat(container, ScriptedChatModel(reply=lambda r: "Within 30 days."), ListSearch([]))
    answer = await chat(agent, ChatCaller(visitor_id=VISITOR), "Return items how?")
    [e async for e in answer.events()]
    async with container.uow()(account_id=owner.id) as uow:
        question_id = (await uow.chat_messages.get(owner.id, answer.message_id)).reply_to
    rate = container.rate_answer()
    caller = ChatCaller(visitor_id=VISITOR)

    with pytest.raises(FeedbackNotAllowed):  # the visitor's own question cannot be rated
        await rate(agent, caller, session_id=answer.session_id, message_id=question_id, rating="down")
    await run_worker(container)
    assert transport.sent == [], "a refused vote emits nothing"

    await rate(
        agent, caller, session_id=answer.session_id, message_id=answer.message_id, rating="down", comment="Wrong"
    )
    await run_worker(container)
    [sent] = [msgspec.json.decode(r.body) for r in transport.sent]
    assert sent["type"] == "feedback.created"
    assert sent["data"] == {
        "message_id": answer.message_id,
        "conversation_id": answer.session_id,
        "agent_id": agent.id,
        "rating": "down",
        "comment": "Wrong",
        "changed": False,
        "given_at": "2026-03-01T12:00:00Z",
        "updated_at": "2026-03-01T12:00:00Z",
    }


async def test_an_endpoint_failing_for_three_days_gets_every_retry_then_is_switched_off_with_an_email(
    container: Container, transport: FakeTransport
) -> None:
    owner = account()
    await store(container, owner)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    broken = await container.create_webhook_endpoint()(
        principal, url="https://broken.example.com/in", events=["message.created"]
    )
    working = await container.create_webhook_endpoint()(
        principal, url="https://ok.example.com/in", events=["message.created"]
    )
    transport.statuses[broken.url] = 503
    clock: ManualClock = container.clock()
    async with container.uow()(account_id=owner.id) as uow:
        event_id = emit_event(uow, account_id=owner.id, type="message.created", data={"n": 1}, at=clock.now())
        await uow.commit()

    mails = []
    for _ in range(40):  # far more rounds than retries (the last ones change nothing)
        await run_worker(container)
        # read as they come: the outbox folder's own retention sweep runs as the clock moves on
        mails += [
            m for m in read_outbox(container.settings().outbox_dir) if m.kind == "webhook_disabled" and m not in mails
        ]
        clock.advance(timedelta(hours=9))
    to_broken = [r for r in transport.sent if r.url == broken.url]
    assert len(to_broken) == 19 and {r.message_id for r in to_broken} == {event_id}
    assert [r.url for r in transport.sent].count(working.url) == 1
    endpoints = {e.id: e for e in await container.list_webhook_endpoints()(principal)}
    assert (endpoints[broken.id].enabled, endpoints[broken.id].disabled_reason) == (False, "failing")
    assert endpoints[working.id].enabled
    _, log = await container.get_webhook_endpoint()(principal, broken.id, limit=100)
    assert [a.number for a in log] == list(range(19, 0, -1)) and not any(a.succeeded for a in log)
    assert [(m.to, broken.url in m.text) for m in mails] == [(owner.email, True)]

    # switched off: later events are not sent there; switched on again, they are
    async with container.uow()(account_id=owner.id) as uow:
        emit_event(uow, account_id=owner.id, type="message.created", data={"n": 2}, at=clock.now())
        await uow.commit()
    await run_worker(container)
    assert len([r for r in transport.sent if r.url == broken.url]) == 19
    await container.update_webhook_endpoint()(principal, broken.id, enabled=True)
    transport.statuses[broken.url] = 200
    async with container.uow()(account_id=owner.id) as uow:
        emit_event(uow, account_id=owner.id, type="message.created", data={"n": 3}, at=clock.now())
        await uow.commit()
    await run_worker(container)
    assert msgspec.json.decode(transport.sent[-1].body)["data"] == {"n": 3}


async def test_the_retention_sweep_deletes_events_30_days_old_with_their_log_unless_still_being_delivered(
    container: Container, transport: FakeTransport
) -> None:
    owner = account()
    await store(container, owner)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    await container.create_webhook_endpoint()(principal, url="https://ok.example.com/in", events=["message.created"])
    broken = await container.create_webhook_endpoint()(
        principal, url="https://down.example.com/in", events=["source.synced"]
    )
    transport.statuses[broken.url] = 500
    clock: ManualClock = container.clock()
    async with container.uow()(account_id=owner.id) as uow:
        emit_event(uow, account_id=owner.id, type="message.created", data={}, at=clock.now())
        emit_event(uow, account_id=owner.id, type="source.synced", data={}, at=clock.now())
        await uow.commit()
    await run_worker(container)  # delivered to ok; down: retrying
    database = container.memory_database()
    assert (len(database.table("webhook_events")), len(database.table("webhook_attempts"))) == (2, 2)
    clock.advance(timedelta(days=30))
    await container.retention_sweeps()()
    assert len(database.table("webhook_events")) == 2  # exactly 30 days: kept
    clock.advance(timedelta(seconds=1))
    summary = await container.retention_sweeps()()
    assert summary["webhook_events"] == 1  # the delivered one; the other is still pending
    assert [e.type for e in database.table("webhook_events").values()] == ["source.synced"]
    assert {a.endpoint_id for a in database.table("webhook_attempts").values()} == {broken.id}


async def test_a_lead_left_in_the_widget_is_sent_as_lead_created(
    container: Container, transport: FakeTransport
) -> None:
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    await container.create_webhook_endpoint()(principal, url="https://crm.example.com/in", events=["lead.created"])
    await container.update_lead_form()(
        principal,
        agent.id,
        LeadForm(
            account_id="",
            agent_id="",
            enabled=True,
            privacy_url="https://shop.example.com/privacy",
            fields=(LeadField(key="email", kind=FieldKind.EMAIL, label="E-mail", required=True),),
        ),
    )
    lead = await container.submit_lead()(agent, VISITOR, {"email": "ada@example.com"}, True)
    await run_worker(container)
    [sent] = transport.sent
    body = msgspec.json.decode(sent.body)
    assert (body["type"], body["data"]["lead_id"], body["data"]["values"]) == (
        "lead.created",
        lead.id,
        {"email": "ada@example.com"},
    )


async def test_a_session_started_by_the_widget_sends_conversation_started(
    container: Container, transport: FakeTransport
) -> None:
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    await container.create_webhook_endpoint()(
        Principal.own(account_id=owner.id, session_id="s"),
        url="https://crm.example.com/in",
        events=["conversation.started"],
    )
    session = await container.start_widget_session()(agent, ChatCaller(visitor_id=VISITOR, ip="203.0.113.9"))
    await run_worker(container)
    [sent] = transport.sent
    data = msgspec.json.decode(sent.body)["data"]
    assert (data["conversation_id"], data["agent_id"], data["visitor_id"]) == (session.id, agent.id, VISITOR)
    assert "ip" not in data  # technical data stays home


# -- handoff events -----------------------------------------------------------------------------

HANDOFF_EVENTS = ["handoff.requested", "handoff.taken", "handoff.ended"]


async def handoff_setup(container: Container) -> tuple[Principal, Agent, ChatSession]:
    """An account with an endpoint for the three handoff events, an agent whose office is open
    every day around the clock, and a visitor's session."""
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    principal = Principal.own(account_id=owner.id, session_id="ses_x")
    await container.create_webhook_endpoint()(principal, url="https://crm.example.com/in", events=HANDOFF_EVENTS)
    await container.update_handoff_settings()(
        principal,
        agent.id,
        HandoffSettingsChanges(enabled=True, days=tuple(Weekday), opens="00:00", closes="24:00", max_wait_s=600),
    )
    session = await container.start_widget_session()(agent, ChatCaller(visitor_id=VISITOR))
    return principal, agent, session


def handoff_bodies(transport: FakeTransport) -> list[dict[str, Any]]:
    return [msgspec.json.decode(r.body) for r in transport.sent]


async def test_each_handoff_move_is_sent_once_and_a_message_sends_none(
    container: Container, transport: FakeTransport
) -> None:
    principal, agent, session = await handoff_setup(container)
    clock: ManualClock = container.clock()
    await container.request_handoff()(agent, VISITOR, session.id)
    clock.advance(timedelta(seconds=30))
    await container.take_handoff()(principal, session.id)
    await container.reply_to_handoff()(principal, session.id, "Hello, Ada here.")
    clock.advance(timedelta(seconds=30))
    await container.hand_back_conversation()(principal, session.id)
    await run_worker(container)

    bodies = handoff_bodies(transport)
    assert [(b["type"], b["version"]) for b in bodies] == [
        ("handoff.requested", 1),
        ("handoff.taken", 1),
        ("handoff.ended", 1),
    ]
    # event numbers: 1 requested, 2 taken, 3 the owner's message (no webhook), 4 ended
    assert [b["data"] for b in bodies] == [
        {
            "conversation_id": session.id,
            "agent_id": agent.id,
            "visitor_id": VISITOR,
            "state": "waiting",
            "seq": 1,
            "created_at": "2026-03-01T12:00:00Z",
        },
        {
            "conversation_id": session.id,
            "agent_id": agent.id,
            "visitor_id": VISITOR,
            "state": "with_human",
            "seq": 2,
            "created_at": "2026-03-01T12:00:30Z",
        },
        {
            "conversation_id": session.id,
            "agent_id": agent.id,
            "visitor_id": VISITOR,
            "state": "assistant",
            "seq": 4,
            "created_at": "2026-03-01T12:01:00Z",
            "reason": "handed_back",
        },
    ]
    assert len({r.message_id for r in transport.sent}) == 3


async def test_a_handoff_ends_by_cancel_or_expiry_with_its_reason(
    container: Container, transport: FakeTransport
) -> None:
    principal, agent, session = await handoff_setup(container)
    clock: ManualClock = container.clock()
    await container.request_handoff()(agent, VISITOR, session.id)
    await container.cancel_handoff()(agent, VISITOR, session.id)
    await container.request_handoff()(agent, VISITOR, session.id)
    clock.advance(timedelta(seconds=601))  # past the 600 s maximum wait
    await container.read_visitor_handoff()(agent, VISITOR, session.id, 0)  # the read expires it
    await run_worker(container)

    assert [(b["type"], b["data"]["seq"], b["data"].get("reason")) for b in handoff_bodies(transport)] == [
        ("handoff.requested", 1, None),
        ("handoff.ended", 2, "cancelled"),
        ("handoff.requested", 3, None),
        ("handoff.ended", 4, "expired"),
    ]


async def test_a_refused_handoff_move_sends_nothing(container: Container, transport: FakeTransport) -> None:
    principal, agent, session = await handoff_setup(container)
    with pytest.raises(HandoffTransitionRefused):
        await container.take_handoff()(principal, session.id)  # nobody asked for a person
    with pytest.raises(HandoffTransitionRefused):
        await container.hand_back_conversation()(principal, session.id)
    await container.request_handoff()(agent, VISITOR, session.id)
    with pytest.raises(HandoffTransitionRefused):
        await container.request_handoff()(agent, VISITOR, session.id)  # already waiting
    await run_worker(container)

    assert [b["type"] for b in handoff_bodies(transport)] == ["handoff.requested"]


async def test_a_handoff_request_outside_office_hours_sends_nothing(
    container: Container, transport: FakeTransport
) -> None:
    principal, agent, session = await handoff_setup(container)
    # T0 is a Sunday: open on weekdays only, the office is closed
    await container.update_handoff_settings()(principal, agent.id, HandoffSettingsChanges(days=(Weekday.MON,)))
    outcome = await container.request_handoff()(agent, VISITOR, session.id)
    await run_worker(container)

    assert outcome.available is False
    assert transport.sent == []


async def test_messages_between_the_visitor_and_a_person_are_sent_as_message_created(
    container: Container, transport: FakeTransport
) -> None:
    principal, agent, session = await handoff_setup(container)
    await container.create_webhook_endpoint()(
        principal, url="https://crm.example.com/messages", events=["message.created"]
    )
    clock: ManualClock = container.clock()
    await container.request_handoff()(agent, VISITOR, session.id)
    await container.send_handoff_message()(agent, VISITOR, session.id, "Is anyone there?")
    clock.advance(timedelta(seconds=30))
    await container.take_handoff()(principal, session.id)
    await container.reply_to_handoff()(principal, session.id, "Hello, Ada here.")
    await run_worker(container)

    sent = [msgspec.json.decode(r.body) for r in transport.sent if r.url == "https://crm.example.com/messages"]
    assert [(b["type"], b["data"]["role"], b["data"]["content"], b["data"]["conversation_id"]) for b in sent] == [
        ("message.created", "user", "Is anyone there?", session.id),
        ("message.created", "owner", "Hello, Ada here.", session.id),
    ]
