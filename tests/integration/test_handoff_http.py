"""Live handoff over HTTP: the visitor asks for a person, the assistant falls silent, the owner
takes the conversation and replies, the visitor's stream resumes by Last-Event-ID with nothing
lost or doubled, the owner hands back and the assistant answers again; the refusals, office
hours, the wait running out, the owner's e-mail, and the replies in exports and erasure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dependency_injector import providers

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.chat import ChatLimits
from aioomi.domain.usecases.handoff.support import NOTIFY_OWNER_JOB
from tests.integration.accounts_support import mails_to, problem, serve, sign_up_and_verify, signed_in
from tests.integration.chat_support import ORIGIN, RETURNS, ChatApp, read_sse
from tests.unit.chat_support import ListSearch

OPEN_ALWAYS = {
    "enabled": True,
    "time_zone": "UTC",
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "opens": "00:00",
    "closes": "24:00",
    "max_wait_s": 120,
}
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


@asynccontextmanager
async def handoff_app(
    tmp_path: Path,
    conninfo: str | None,
    *,
    backend: str = "postgres",
    limits: ChatLimits | None = None,
    clock: ManualClock | None = None,
) -> AsyncIterator[ChatApp]:
    model = ScriptedChatModel(reply=lambda request: "Within 30 days [1].")
    search = ListSearch([RETURNS])

    def configure(container) -> None:
        container.chat_model.override(providers.Object(model))
        container.passage_search.override(providers.Object(search))
        if limits is not None:
            container.chat_limits.override(providers.Object(limits))
        if clock is not None:
            container.clock.override(providers.Object(clock))

    # Streams poll fast and last half a second: the test client reads a response whole.
    async with serve(
        backend, tmp_path / "aioomi", conninfo, configure=configure, handoff_poll_s=0.02, handoff_stream_max_s=0.5
    ) as app:
        owner = await sign_up_and_verify(app, "owner@example.com")
        response = await app.client.post(
            "/api/v1/agents",
            headers=owner.headers(),
            json={"name": "Shop helper", "allowed_origins": [ORIGIN], "fallback_message": "Sorry, I don't know that."},
        )
        assert response.status_code == 201, response.text
        yield ChatApp(app=app, owner=owner, agent=response.json(), model=model, search=search)


async def set_handoff(chat: ChatApp, **settings: Any) -> dict[str, Any]:
    response = await chat.client.patch(
        f"/api/v1/agents/{chat.agent['id']}/handoff-settings", headers=chat.owner.headers(), json=settings
    )
    assert response.status_code == 200, response.text
    return response.json()


async def events(
    chat: ChatApp, session_id: str, last_event_id: int | None = None, *, owner: bool = False, after: int | None = None
) -> list[tuple[str, dict[str, Any], int]]:
    """The events one stream response carries: (name, data, SSE id)."""
    headers = chat.owner.headers() if owner else chat.headers()
    if last_event_id is not None:
        headers = headers | {"last-event-id": str(last_event_id)}
    path = f"/api/v1/handoffs/{session_id}/events" if owner else chat.widget(f"/sessions/{session_id}/handoff/events")
    response = await chat.client.get(path, headers=headers, params={"after": after} if after is not None else None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"]), int(fields["id"])))
    return found


async def ask(chat: ChatApp, session_id: str, text: str) -> Any:
    return await chat.client.post(
        chat.widget(f"/sessions/{session_id}/messages"), headers=chat.headers(), json={"content": text}
    )


async def run_notify_jobs(chat: ChatApp) -> list[object]:
    from aioomi.entrypoints.worker.handoff_jobs import handlers

    handle = handlers(chat.app.container)[NOTIFY_OWNER_JOB]
    jobs = chat.app.container.job_store()
    done = []
    while (job := await jobs.claim("test", frozenset({NOTIFY_OWNER_JOB}), timedelta(minutes=1))) is not None:
        done.append(await handle(job.payload))
        await jobs.complete(job.id, "test")
    return done


async def test_a_whole_handoff_and_back_to_the_assistant(tmp_path, pg_conninfo) -> None:
    async with handoff_app(tmp_path, pg_conninfo) as chat:
        owner = chat.owner.headers()
        settings = await set_handoff(chat, **OPEN_ALWAYS)
        assert settings == OPEN_ALWAYS
        offered = await chat.client.get(chat.widget("/handoff"), headers=chat.headers())
        assert offered.json() == {"enabled": True, "open_now": True, "message": None}
        session_id = await chat.new_session()
        assert (await ask(chat, session_id, "Can I return an item?")).status_code == 200
        assert len(chat.model.requests) == 1

        requested = await chat.client.post(
            chat.widget(f"/sessions/{session_id}/handoff"), headers=chat.headers(), json={"reason": "asked"}
        )
        assert requested.status_code == 200, requested.text
        assert requested.json() == {"state": "waiting", "last_event_id": 1, "available": True, "message": None}
        assert await run_notify_jobs(chat) == [{"mail": "sent"}]
        [mail] = mails_to(chat.app.outbox(), "owner@example.com", "handoff_requested")
        assert "Shop helper" in mail.subject and "/dashboard/inbox" in mail.text

        # The assistant is silent: no model call, nothing stored, nothing metered.
        silent = await ask(chat, session_id, "Hello?")
        problem(silent, 409, "handoff_active")
        assert len(chat.model.requests) == 1
        sent = await chat.client.post(
            chat.widget(f"/sessions/{session_id}/handoff/messages"),
            headers=chat.headers(),
            json={"content": "Is anyone there?"},
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["event_id"] == 2 and sent.json()["message"]["role"] == "user"

        inbox = (await chat.client.get("/api/v1/handoffs", headers=owner)).json()["data"]
        assert [(e["session_id"], e["state"], e["agent_name"], e["last_message"]["content"]) for e in inbox] == [
            (session_id, "waiting", "Shop helper", "Is anyone there?")
        ]
        problem(
            await chat.client.post(
                f"/api/v1/handoffs/{session_id}/replies", headers=owner, json={"content": "Too early"}
            ),
            409,
            "handoff_not_active",
        )
        taken = await chat.client.post(f"/api/v1/handoffs/{session_id}/take", headers=owner)
        assert taken.json() == {"state": "with_human", "last_event_id": 3, "available": True, "message": None}
        problem(
            await chat.client.post(f"/api/v1/handoffs/{session_id}/take", headers=owner),
            409,
            "handoff_invalid_transition",
        )
        replied = await chat.client.post(
            f"/api/v1/handoffs/{session_id}/replies", headers=owner, json={"content": "Hi, Ana here. Yes, 30 days."}
        )
        assert replied.status_code == 201 and replied.json()["event_id"] == 4
        reply_id = replied.json()["message"]["id"]

        # The visitor's stream: everything from the start, or exactly what follows Last-Event-ID.
        everything = await events(chat, session_id)
        assert [(name, seq) for name, _, seq in everything] == [
            ("requested", 1),
            ("message", 2),
            ("taken", 3),
            ("message", 4),
        ]
        assert [d["seq"] for _, d, _ in everything] == [1, 2, 3, 4]
        assert everything[3][1]["message"]["role"] == "owner"
        assert everything[3][1]["message"]["content"] == "Hi, Ana here. Yes, 30 days."
        resumed = await events(chat, session_id, last_event_id=2)
        assert [seq for _, _, seq in resumed] == [3, 4]
        assert await events(chat, session_id, last_event_id=4) == []
        assert [seq for _, _, seq in await events(chat, session_id, after=3)] == [4]
        # Last-Event-ID (a reconnect) wins over the first connection's ?after=
        assert [seq for _, _, seq in await events(chat, session_id, last_event_id=3, after=0)] == [4]
        assert [seq for _, _, seq in await events(chat, session_id, owner=True, last_event_id=3)] == [4]
        status = await chat.client.get(chat.widget(f"/sessions/{session_id}/handoff"), headers=chat.headers())
        assert status.json()["state"] == "with_human" and status.json()["last_event_id"] == 4

        saved = await chat.client.post(
            f"/api/v1/handoffs/{session_id}/qa-pairs", headers=owner, json={"message_id": reply_id}
        )
        assert saved.status_code == 201, saved.text
        assert (saved.json()["question"], saved.json()["answer"]) == ("Is anyone there?", "Hi, Ana here. Yes, 30 days.")

        back = await chat.client.post(f"/api/v1/handoffs/{session_id}/hand-back", headers=owner)
        assert back.json()["state"] == "assistant" and back.json()["last_event_id"] == 5
        ended = await events(chat, session_id, last_event_id=4)
        assert [(name, d["state"]) for name, d, _ in ended] == [("ended", "assistant")]
        assert (await chat.client.get("/api/v1/handoffs", headers=owner)).json()["data"] == []

        again = await ask(chat, session_id, "Can I return an item after 20 days?")
        assert again.status_code == 200
        assert [name for name, _ in read_sse(again.text)][-1] == "done"
        assert len(chat.model.requests) == 2
        # The person's reply is part of the history the model sees, as the assistant's turn.
        history = [(str(m.role), m.content) for m in chat.model.requests[-1].messages[1:]]
        assert ("assistant", "Hi, Ana here. Yes, 30 days.") in history

        # The replies are part of the conversation: in the owner's export, and the visitor's.
        exported = await chat.client.get(f"/api/v1/agents/{chat.agent['id']}/sessions/export", headers=owner)
        roles = [(m["role"], m["content"]) for m in exported.json()["sessions"][0]["messages"]]
        assert ("owner", "Hi, Ana here. Yes, 30 days.") in roles and ("user", "Is anyone there?") in roles
        mine = await chat.client.get(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())
        assert [m["role"] for m in mine.json()["messages"]].count("owner") == 1
        assert await chat.app.count("handoff_events") == 5
        # The visitor deletes the conversation: its events and replies go with it.
        deleted = await chat.client.delete(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())
        assert deleted.status_code == 204
        assert await chat.app.count("handoff_events") == 0
        assert await chat.app.count("chat_messages") == 0


async def test_refusals_office_hours_and_a_wait_that_runs_out(tmp_path) -> None:
    clock = ManualClock(START)
    async with handoff_app(tmp_path, None, backend="memory", clock=clock) as chat:
        session_id = await chat.new_session()
        path = chat.widget(f"/sessions/{session_id}/handoff")
        assert (await chat.client.get(chat.widget("/handoff"), headers=chat.headers())).json() == {
            "enabled": False,
            "open_now": False,
            "message": None,
        }
        problem(await chat.client.post(path, headers=chat.headers(), json={}), 409, "handoff_disabled")

        # Outside office hours: told plainly, nothing changes.
        await set_handoff(chat, enabled=True, time_zone="Europe/Paris", days=["mon"], opens="14:00", closes="18:00")
        closed = await chat.client.post(path, headers=chat.headers(), json={})
        assert closed.json() == {
            "state": "assistant",
            "last_event_id": 0,
            "available": False,
            "message": (
                "No one is available right now: our team answers on Mon, 14:00–18:00 (Europe/Paris). "
                "The assistant can keep helping you meanwhile."
            ),
        }
        clock.advance(timedelta(hours=3))  # 13:00 UTC is 14:00 in Paris
        problem(
            await chat.client.post(path, headers=chat.headers(), json={"reason": "fallback"}),
            409,
            "handoff_not_offered",
        )
        problem(
            await chat.client.post(
                chat.widget(f"/sessions/{session_id}/handoff/messages"), headers=chat.headers(), json={"content": "hi"}
            ),
            409,
            "handoff_not_active",
        )

        # Two fallbacks in a row: the offer may be accepted.
        chat.search.passages.clear()
        for question in ("What about shoes?", "And hats?"):
            answered = await ask(chat, session_id, question)
            assert ("token", {"text": "Sorry, I don't know that."}) in read_sse(answered.text)
        accepted = await chat.client.post(path, headers=chat.headers(), json={"reason": "fallback"})
        assert accepted.json()["state"] == "waiting"
        problem(await chat.client.post(path, headers=chat.headers(), json={}), 409, "handoff_invalid_transition")

        # Another visitor sees nothing of it; a bad Last-Event-ID is a clear 422.
        other = chat.headers("visitor-fedcba9876543210")
        problem(
            await chat.client.get(chat.widget(f"/sessions/{session_id}/handoff/events"), headers=other),
            404,
            "session_not_found",
        )
        problem(
            await chat.client.get(
                chat.widget(f"/sessions/{session_id}/handoff/events"), headers=chat.headers() | {"last-event-id": "abc"}
            ),
            422,
            "invalid_last_event_id",
        )

        # No one takes it within the maximum wait (300 s by default): the visitor is told.
        clock.advance(timedelta(seconds=299))
        assert [name for name, _, _ in await events(chat, session_id, last_event_id=1)] == []
        clock.advance(timedelta(seconds=1))
        expired = await events(chat, session_id, last_event_id=1)
        assert [(name, d["state"], seq) for name, d, seq in expired] == [("expired", "assistant", 2)]
        assert expired[0][1]["notice"] == (
            "Sorry, no one was available to take your conversation within 5 minutes. "
            "The assistant is back and can keep helping you."
        )
        assert (await chat.client.get("/api/v1/handoffs", headers=chat.owner.headers())).json()["data"] == []
        problem(
            await chat.client.post(f"/api/v1/handoffs/{session_id}/take", headers=chat.owner.headers()),
            409,
            "handoff_invalid_transition",
        )
        # The owner's e-mail for a conversation no longer waiting is not sent.
        assert await run_notify_jobs(chat) == [{"mail": "skipped"}]

        # The visitor may stop waiting.
        assert (await chat.client.post(path, headers=chat.headers(), json={})).json()["state"] == "waiting"
        assert (await chat.client.delete(path, headers=chat.headers())).status_code == 204
        assert [name for name, _, _ in await events(chat, session_id, last_event_id=3)] == ["cancelled"]


async def test_visitor_messages_to_a_person_count_against_the_chat_limits(tmp_path) -> None:
    limits = ChatLimits(per_visitor_minute=3)
    async with handoff_app(tmp_path, None, backend="memory", limits=limits) as chat:
        await set_handoff(chat, **OPEN_ALWAYS)
        session_id = await chat.new_session()
        assert (await ask(chat, session_id, "Can I return an item?")).status_code == 200  # 1 of 3
        await chat.client.post(chat.widget(f"/sessions/{session_id}/handoff"), headers=chat.headers(), json={})
        send = chat.widget(f"/sessions/{session_id}/handoff/messages")
        for text in ("one", "two"):  # 2 and 3 of 3
            assert (await chat.client.post(send, headers=chat.headers(), json={"content": text})).status_code == 201
        problem(await chat.client.post(send, headers=chat.headers(), json={"content": "three"}), 429, "rate_limited")
        problem(await chat.client.post(send, headers=chat.headers(), json={"content": "  "}), 422, "message_empty")
        detail = await chat.client.get(chat.widget(f"/sessions/{session_id}"), headers=chat.headers())
        assert [m["content"] for m in detail.json()["messages"] if m["role"] == "user"] == [
            "Can I return an item?",
            "one",
            "two",
        ]


async def test_settings_are_validated_and_owned(tmp_path) -> None:
    async with handoff_app(tmp_path, None, backend="memory") as chat:
        url = f"/api/v1/agents/{chat.agent['id']}/handoff-settings"
        defaults = await chat.client.get(url, headers=chat.owner.headers())
        assert defaults.json() == {
            "enabled": False,
            "time_zone": "UTC",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "opens": "09:00",
            "closes": "17:00",
            "max_wait_s": 300,
        }
        body = problem(
            await chat.client.patch(url, headers=chat.owner.headers(), json={"time_zone": "Moon/Base"}),
            422,
            "invalid_time_zone",
        )
        assert body["errors"][0]["field"] == "time_zone"
        problem(
            await chat.client.patch(url, headers=chat.owner.headers(), json={"days": ["funday"]}),
            422,
            "validation_failed",
        )
        problem(
            await chat.client.patch(url, headers=chat.owner.headers(), json={"max_wait_s": 5}), 422, "invalid_max_wait"
        )
        assert (await chat.client.get(url, headers=chat.owner.headers())).json() == defaults.json()
        problem(
            await chat.client.get("/api/v1/agents/agt_nobody/handoff-settings", headers=chat.owner.headers()),
            404,
            "agent_not_found",
        )
        async with chat.app.another_client() as stranger:
            problem(await stranger.get("/api/v1/handoffs"), 401)
            problem(await stranger.get("/api/v1/handoffs/stream"), 401)
        problem(
            await chat.client.post("/api/v1/handoffs/ses_nothing/take", headers=chat.owner.headers()),
            404,
            "session_not_found",
        )


async def test_handoff_replies_follow_the_conversations_retention_and_erasure(tmp_path, pg_conninfo) -> None:
    """The person's replies and the handoff's events are part of the conversation: the chat
    retention sweep (12 months) removes them with it, and so does the purge of an erased account."""
    import msgspec

    from aioomi.domain.model.accounts import AccountStatus

    clock = ManualClock(START)
    async with handoff_app(tmp_path, pg_conninfo, clock=clock) as chat:
        container = chat.app.container
        await set_handoff(chat, **OPEN_ALWAYS)

        async def handed_off_conversation() -> str:
            owner = chat.owner.headers()
            session_id = await chat.new_session()
            await chat.client.post(chat.widget(f"/sessions/{session_id}/handoff"), headers=chat.headers(), json={})
            await chat.client.post(f"/api/v1/handoffs/{session_id}/take", headers=owner)
            replied = await chat.client.post(
                f"/api/v1/handoffs/{session_id}/replies", headers=owner, json={"content": "Ana here, from the shop."}
            )
            assert replied.status_code == 201, replied.text
            return session_id

        await handed_off_conversation()
        assert (await chat.app.count("handoff_events"), await chat.app.count("chat_messages")) == (3, 1)
        clock.advance(timedelta(days=366))  # past the policy's 12 months
        await container.retention_sweeps()()
        assert (await chat.app.count("handoff_events"), await chat.app.count("chat_messages")) == (0, 0)
        chat.owner = await signed_in(chat.client, chat.owner)  # a year later: sign in again

        await handed_off_conversation()
        assert await chat.app.count("handoff_events") == 3
        assert await chat.app.count("handoff_settings") == 1
        async with container.uow()(account_id=None) as uow:
            account = await uow.accounts.get(chat.owner.account_id)
            await uow.accounts.update(msgspec.structs.replace(account, status=AccountStatus.DELETION_PENDING))
            await uow.commit()
        await container.purge_deleted_account()(chat.owner.account_id)
        for table in ("handoff_events", "handoff_settings", "chat_messages", "chat_sessions"):
            assert await chat.app.count(table) == 0, table


async def test_a_stream_far_behind_gets_every_event_in_order_a_page_at_a_time(tmp_path) -> None:
    """A client 130 events behind reads them all, in order, once: the stream reads 100 at a time
    (its memory is bounded by the page, not by how far behind the client is)."""
    limits = ChatLimits(per_visitor_minute=1_000, per_ip_minute=1_000)
    async with handoff_app(tmp_path, None, backend="memory", limits=limits) as chat:
        await set_handoff(chat, **OPEN_ALWAYS)
        session_id = await chat.new_session()
        await chat.client.post(chat.widget(f"/sessions/{session_id}/handoff"), headers=chat.headers(), json={})
        for i in range(130):
            sent = await chat.client.post(
                chat.widget(f"/sessions/{session_id}/handoff/messages"),
                headers=chat.headers(),
                json={"content": f"message {i}"},
            )
            assert sent.status_code == 201, sent.text
        everything = await events(chat, session_id, last_event_id=0)
        assert [seq for _, _, seq in everything] == list(range(1, 132))
        assert [d["message"]["content"] for name, d, _ in everything if name == "message"] == [
            f"message {i}" for i in range(130)
        ]
