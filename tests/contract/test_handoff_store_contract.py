"""The handoff store (HandoffRepository on the unit of work), on memory and on Postgres: the same
tests, the same verdicts. A change is conditional on the event number it started from; events
come back in order with their messages; the inbox and the settings are per account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aioomi.domain.model.chat import ChatMessage, ChatSession, Role
from aioomi.domain.model.handoff import (
    Handoff,
    HandoffAction,
    HandoffChanged,
    HandoffEvent,
    HandoffEventKind,
    HandoffSettings,
    HandoffState,
    Weekday,
)
from aioomi.domain.model.ids import new_id
from tests.unit.chat_support import account, agent_for, store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VISITOR = "visitor-0123456789abcdef"


@pytest.fixture
async def owners(container):
    mine, theirs = account(), account()
    my_agent, their_agent = agent_for(mine), agent_for(theirs)
    await store(container, mine, my_agent)
    await store(container, theirs, their_agent)
    return mine.id, my_agent, theirs.id, their_agent


async def new_session(container, agent, *, at: datetime = T0) -> ChatSession:
    session = ChatSession(
        id=new_id("ses"), account_id=agent.account_id, agent_id=agent.id, visitor_id=VISITOR, created_at=at
    )
    async with container.uow()(account_id=agent.account_id) as uow:
        await uow.chat_sessions.add(session)
        await uow.commit()
    return session


async def reload(container, session: ChatSession) -> ChatSession:
    async with container.uow()(account_id=session.account_id) as uow:
        found = await uow.chat_sessions.get(session.account_id, session.id)
    assert found is not None
    return found


async def act(
    container,
    session: ChatSession,
    action: HandoffAction,
    at: datetime,
    *,
    message: ChatMessage | None = None,
    expected_seq: int | None = None,
) -> HandoffEvent:
    current = Handoff(
        state=session.handoff,
        seq=session.handoff_seq,
        requested_at=session.handoff_requested_at,
        taken_at=session.handoff_taken_at,
    )
    after = current.with_message() if message is not None else current.apply(action, at)
    kind = (
        HandoffEventKind.MESSAGE
        if message is not None
        else {
            HandoffAction.REQUEST: HandoffEventKind.REQUESTED,
            HandoffAction.TAKE: HandoffEventKind.TAKEN,
            HandoffAction.HAND_BACK: HandoffEventKind.ENDED,
        }[action]
    )
    event = HandoffEvent(
        account_id=session.account_id,
        session_id=session.id,
        seq=after.seq,
        kind=kind,
        state=after.state,
        created_at=at,
        message_id=message.id if message else None,
    )
    async with container.uow()(account_id=session.account_id) as uow:
        await uow.handoffs.record(session, current.seq if expected_seq is None else expected_seq, after, event, message)
        await uow.commit()
    return event


def reply(session: ChatSession, text: str, at: datetime, role: Role = Role.OWNER) -> ChatMessage:
    return ChatMessage(
        id=new_id("msg"),
        account_id=session.account_id,
        agent_id=session.agent_id,
        session_id=session.id,
        role=role,
        content=text,
        created_at=at,
    )


async def test_moves_and_messages_are_stored_with_numbered_events(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = await new_session(container, my_agent)
    await act(container, s, HandoffAction.REQUEST, T0 + timedelta(seconds=1))
    s = await reload(container, s)
    assert (s.handoff, s.handoff_seq, s.handoff_requested_at) == (HandoffState.WAITING, 1, T0 + timedelta(seconds=1))
    await act(container, s, HandoffAction.TAKE, T0 + timedelta(seconds=2))
    s = await reload(container, s)
    answer = reply(s, "Hello, I'm Ana from the shop.", T0 + timedelta(seconds=3))
    await act(container, s, HandoffAction.TAKE, T0 + timedelta(seconds=3), message=answer)
    s = await reload(container, s)
    assert (s.handoff, s.handoff_seq, s.handoff_taken_at) == (HandoffState.WITH_HUMAN, 3, T0 + timedelta(seconds=2))
    assert s.last_message_at == T0 + timedelta(seconds=3)
    async with container.uow()(account_id=mine) as uow:
        events = await uow.handoffs.events_after(mine, s.id, 0, limit=100)
        later = await uow.handoffs.events_after(mine, s.id, 2, limit=100)
        first_two = await uow.handoffs.events_after(mine, s.id, 0, limit=2)
        stored = await uow.chat_messages.list_for_session(mine, s.id)
    assert [(e.seq, e.kind, e.state) for e, _ in events] == [
        (1, HandoffEventKind.REQUESTED, HandoffState.WAITING),
        (2, HandoffEventKind.TAKEN, HandoffState.WITH_HUMAN),
        (3, HandoffEventKind.MESSAGE, HandoffState.WITH_HUMAN),
    ]
    assert [m for _, m in events] == [None, None, answer]
    assert [e.seq for e, _ in later] == [3] and [e.seq for e, _ in first_two] == [1, 2]
    assert stored == [answer] and stored[0].role is Role.OWNER


async def test_a_change_from_a_stale_number_stores_nothing(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = await new_session(container, my_agent)
    await act(container, s, HandoffAction.REQUEST, T0)
    waiting = await reload(container, s)
    with pytest.raises(HandoffChanged):  # started from seq 0, but the stored one is 1
        await act(container, waiting, HandoffAction.TAKE, T0, message=reply(waiting, "late", T0), expected_seq=0)
    after = await reload(container, s)
    assert (after.handoff, after.handoff_seq) == (HandoffState.WAITING, 1)
    async with container.uow()(account_id=mine) as uow:
        assert [e.seq for e, _ in await uow.handoffs.events_after(mine, s.id, 0, limit=10)] == [1]
        assert await uow.chat_messages.list_for_session(mine, s.id) == []


async def test_the_inbox_lists_held_conversations_longest_waiting_first(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    late = await new_session(container, my_agent)
    early = await new_session(container, my_agent)
    idle = await new_session(container, my_agent)
    other = await new_session(container, their_agent)
    await act(container, late, HandoffAction.REQUEST, T0 + timedelta(minutes=5))
    await act(container, early, HandoffAction.REQUEST, T0 + timedelta(minutes=1))
    await act(container, other, HandoffAction.REQUEST, T0)
    early = await reload(container, early)
    await act(container, early, HandoffAction.TAKE, T0 + timedelta(minutes=6))
    early = await reload(container, early)
    said = reply(early, "On it.", T0 + timedelta(minutes=7))
    await act(container, early, HandoffAction.TAKE, T0 + timedelta(minutes=7), message=said)
    async with container.uow()(account_id=mine) as uow:
        inbox = await uow.handoffs.inbox(mine, limit=10)
    assert [(s.id, s.handoff) for s, _ in inbox] == [
        (early.id, HandoffState.WITH_HUMAN),
        (late.id, HandoffState.WAITING),
    ]
    assert [m.content if m else None for _, m in inbox] == ["On it.", None]
    assert idle.id not in {s.id for s, _ in inbox}
    async with container.uow()(account_id=theirs) as uow:
        assert [s.id for s, _ in await uow.handoffs.inbox(theirs, limit=10)] == [other.id]
        # another account sees none of mine
        assert await uow.handoffs.events_after(theirs, early.id, 0, limit=10) == []


async def test_events_go_with_their_conversation(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = await new_session(container, my_agent)
    await act(container, s, HandoffAction.REQUEST, T0)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.delete(mine, s.id)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.handoffs.events_after(mine, s.id, 0, limit=10) == []
        assert await uow.handoffs.inbox(mine, limit=10) == []


async def test_settings_are_stored_per_agent_and_account(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    paris = HandoffSettings(
        enabled=True,
        time_zone="Europe/Paris",
        days=(Weekday.MON, Weekday.SAT),
        opens="08:30",
        closes="24:00",
        max_wait_s=90,
    )
    async with container.uow()(account_id=mine) as uow:
        assert await uow.handoffs.get_settings(mine, my_agent.id) is None
        await uow.handoffs.save_settings(mine, my_agent.id, paris)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.handoffs.get_settings(mine, my_agent.id) == paris
        await uow.handoffs.save_settings(mine, my_agent.id, HandoffSettings())
        await uow.handoffs.save_settings(mine, their_agent.id, paris)  # not my agent: nothing stored
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.handoffs.get_settings(mine, my_agent.id) == HandoffSettings()
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.handoffs.get_settings(theirs, their_agent.id) is None
        assert await uow.handoffs.get_settings(theirs, my_agent.id) is None
