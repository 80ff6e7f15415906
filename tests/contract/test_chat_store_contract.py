"""The chat stores (ChatSessionRepository and ChatMessageRepository on the unit of work), on
memory and on Postgres: the same tests, the same verdicts. Another account's unit of work sees
nothing, by the repositories' own filter and by the tenant scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import Channel, ChatMessage, ChatSession, Citation, MessageStatus, Role
from aioomi.domain.model.errors import Conflict
from aioomi.domain.model.handoff import HandoffSettings
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.leads import LeadForm
from aioomi.domain.model.pagination import PageKey
from tests.unit.chat_support import account, agent_for, store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VISITOR = "visitor-0123456789abcdef"
OTHER_VISITOR = "visitor-fedcba9876543210"
CITATION = Citation(
    document_id="doc_returns",
    document_title='Returns <policy> "2026"',
    position=3,
    excerpt="You can return any item within 30 days…",
    score=0.8125,
)


@pytest.fixture
async def owners(container):
    """Two accounts with one agent each: ``(mine, my_agent, theirs, their_agent)``."""
    mine, theirs = account(), account()
    my_agent, their_agent = agent_for(mine), agent_for(theirs)
    await store(container, mine, my_agent)
    await store(container, theirs, their_agent)
    return mine.id, my_agent, theirs.id, their_agent


def session(agent, *, at: datetime = T0, visitor: str = VISITOR, **more) -> ChatSession:
    return ChatSession(
        id=new_id("ses"), account_id=agent.account_id, agent_id=agent.id, visitor_id=visitor, created_at=at, **more
    )


def message(s: ChatSession, role: Role, content: str, *, at: datetime = T0, **more) -> ChatMessage:
    return ChatMessage(
        id=new_id("msg"),
        account_id=s.account_id,
        agent_id=s.agent_id,
        session_id=s.id,
        role=role,
        content=content,
        created_at=at,
        **more,
    )


async def add(container, *items: ChatSession | ChatMessage) -> None:
    async with container.uow()(account_id=items[0].account_id) as uow:
        for item in items:
            if isinstance(item, ChatSession):
                await uow.chat_sessions.add(item)
            else:
                await uow.chat_messages.add(item)
        await uow.commit()


async def test_a_session_is_created_resumed_and_touched(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent, channel=Channel.API, ip="203.0.113.9", user_agent="Mozilla/5.0")
    await add(container, s)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.get(mine, s.id) == s
        with pytest.raises(Conflict):
            await uow.chat_sessions.add(s)
    async with container.uow()(account_id=mine) as uow:
        await uow.chat_sessions.touch(mine, s.id, T0 + timedelta(minutes=5))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        resumed = await uow.chat_sessions.get(mine, s.id)
    assert resumed == msgspec.structs.replace(s, last_message_at=T0 + timedelta(minutes=5))
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.get(mine, "ses_nothing_here") is None


async def test_nothing_is_stored_without_commit(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent)
    async with container.uow()(account_id=mine) as uow:
        await uow.chat_sessions.add(s)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.get(mine, s.id) is None


async def test_a_visitor_lists_only_their_own_sessions_newest_first(container, owners) -> None:
    mine, my_agent, _, _ = owners
    other_agent = agent_for(account(), name="Other")  # an agent of mine, stored below
    other_agent = msgspec.structs.replace(other_agent, account_id=mine)
    async with container.uow()(account_id=None) as uow:
        await uow.agents.add(other_agent)
        await uow.commit()
    older, newer = session(my_agent, at=T0), session(my_agent, at=T0 + timedelta(hours=1))
    someone_else = session(my_agent, visitor=OTHER_VISITOR, at=T0 + timedelta(hours=2))
    with_other_agent = session(other_agent, at=T0 + timedelta(hours=3))
    await add(container, older, newer, someone_else, with_other_agent)
    async with container.uow()(account_id=mine) as uow:
        listed = await uow.chat_sessions.list_for_visitor(mine, my_agent.id, VISITOR, limit=10)
        assert [x.id for x in listed] == [newer.id, older.id]
        assert [x.id for x in await uow.chat_sessions.list_for_visitor(mine, my_agent.id, VISITOR, limit=1)] == [
            newer.id
        ]
        assert [x.id for x in await uow.chat_sessions.list_for_visitor(mine, my_agent.id, OTHER_VISITOR, limit=10)] == [
            someone_else.id
        ]


async def test_an_agents_sessions_by_date_page_by_page(container, owners) -> None:
    mine, my_agent, _, their_agent = owners
    # five sessions an hour apart, two of them at the same instant (the id breaks the tie)
    times = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(hours=3)]
    sessions = [session(my_agent, at=at, visitor=f"visitor-{i:016d}") for i, at in enumerate(times)]
    await add(container, *sessions)
    await add(container, session(their_agent, at=T0 + timedelta(hours=1)))
    expected = [s.id for s in sorted(sessions, key=lambda s: (s.created_at, s.id), reverse=True)]

    pages, after = [], None
    async with container.uow()(account_id=mine) as uow:
        while True:
            page = await uow.chat_sessions.list_for_agent(mine, my_agent.id, limit=2, after=after)
            if not page:
                break
            pages.append([s.id for s in page])
            after = PageKey(created_at=page[-1].created_at, id=page[-1].id)
        assert pages == [expected[0:2], expected[2:4], expected[4:5]]
        window = await uow.chat_sessions.list_for_agent(
            mine, my_agent.id, limit=10, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)
        )
        assert [s.id for s in window] == [expected[1], expected[2], expected[3]]
        assert await uow.chat_sessions.list_for_agent(mine, my_agent.id, limit=10, since=T0 + timedelta(days=1)) == []


async def test_messages_come_back_in_order_with_their_citations(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent)
    question = message(s, Role.USER, "How do returns work?", idempotency_key="send-1")
    # the same instant as the question: insertion order decides
    answer = message(
        s,
        Role.ASSISTANT,
        "Within 30 days [1].",
        citations=(CITATION,),
        model="gpt-4o",
        prompt_tokens=412,
        completion_tokens=9,
        latency_ms=350,
        reply_to=question.id,
    )
    follow_up = message(s, Role.USER, "And exchanges?", at=T0 + timedelta(seconds=30))
    await add(container, s, question, answer, follow_up)
    async with container.uow()(account_id=mine) as uow:
        listed = await uow.chat_messages.list_for_session(mine, s.id)
        assert listed == [question, answer, follow_up]
        assert listed[1].citations == (CITATION,)
        assert await uow.chat_messages.list_for_session(mine, s.id, last=2) == [answer, follow_up]
        assert await uow.chat_messages.get(mine, answer.id) == answer
        assert await uow.chat_messages.find_by_idempotency_key(mine, s.id, "send-1") == question
        assert await uow.chat_messages.find_by_idempotency_key(mine, s.id, "send-2") is None
        assert await uow.chat_messages.find_reply(mine, question.id) == answer
        assert await uow.chat_messages.find_reply(mine, follow_up.id) is None
    # The session with its recent messages, in one read (first in its unit of work: on Postgres
    # it opens the transaction too).
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.get_with_recent(mine, s.id, last=2) == (s, [answer, follow_up])
        assert await uow.chat_sessions.get_with_recent(mine, "ses_" + "0" * 26, last=2) == (None, [])


async def test_an_idempotency_key_is_unique_per_session(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s, t = session(my_agent), session(my_agent)
    await add(container, s, t, message(s, Role.USER, "Hi", idempotency_key="k"))
    with pytest.raises(Conflict):
        await add(container, message(s, Role.USER, "Hi again", idempotency_key="k"))
    await add(container, message(t, Role.USER, "Hi", idempotency_key="k"))  # another session may reuse it
    async with container.uow()(account_id=mine) as uow:
        assert len(await uow.chat_messages.list_for_session(mine, s.id)) == 1


@pytest.mark.parametrize("outcome", [MessageStatus.COMPLETE, MessageStatus.FAILED])
async def test_an_answer_goes_from_streaming_to_complete_or_failed(container, owners, outcome) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent)
    streaming = message(s, Role.ASSISTANT, "", status=MessageStatus.STREAMING, citations=(CITATION,))
    await add(container, s, streaming)
    final = msgspec.structs.replace(
        streaming,
        content="Within 30" if outcome is MessageStatus.FAILED else "Within 30 days [1].",
        status=outcome,
        model="gpt-4o",
        prompt_tokens=400,
        completion_tokens=3,
        latency_ms=120,
        error_code="model_stream_interrupted" if outcome is MessageStatus.FAILED else None,
        citations=() if outcome is MessageStatus.FAILED else (CITATION,),
    )
    async with container.uow()(account_id=mine) as uow:
        assert (await uow.chat_messages.get(mine, streaming.id)).status is MessageStatus.STREAMING
        assert await uow.chat_messages.update(final)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_messages.get(mine, streaming.id) == final
        assert not await uow.chat_messages.update(msgspec.structs.replace(final, id="msg_not_stored"))


async def test_a_saved_answer_is_written_with_the_commit_and_never_into_another_account(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    s, theirs_session = session(my_agent), session(their_agent)
    streaming = message(s, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    their_answer = message(theirs_session, Role.ASSISTANT, "Their answer")
    await add(container, s, streaming)
    await add(container, theirs_session, their_answer)
    final = msgspec.structs.replace(streaming, content="Within 30 days.", status=MessageStatus.COMPLETE)
    async with container.uow()(account_id=mine, defer_writes=True) as uow:
        await uow.chat_messages.save(final)
        await uow.chat_messages.save(msgspec.structs.replace(their_answer, content="Hijacked", account_id=mine))
        await uow.commit()
    async with container.uow()(account_id=mine, defer_writes=True) as uow:
        # Left without a commit: nothing is written.
        await uow.chat_messages.save(msgspec.structs.replace(final, content="Never stored"))
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_messages.get(mine, streaming.id) == final
    async with container.uow()(account_id=theirs) as uow:
        assert (await uow.chat_messages.get(theirs, their_answer.id)).content == "Their answer"


async def test_deleting_a_session_deletes_its_messages(container, owners) -> None:
    mine, my_agent, _, _ = owners
    gone, kept = session(my_agent), session(my_agent)
    gone_messages = [
        message(gone, Role.USER, "Hi"),
        message(gone, Role.ASSISTANT, "Hello", at=T0 + timedelta(seconds=1)),
    ]
    kept_message = message(kept, Role.USER, "Still here")
    await add(container, gone, kept, *gone_messages, kept_message)
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.delete(mine, gone.id)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.get(mine, gone.id) is None
        assert await uow.chat_messages.list_for_session(mine, gone.id) == []
        assert [await uow.chat_messages.get(mine, m.id) for m in gone_messages] == [None, None]
        assert await uow.chat_messages.list_for_session(mine, kept.id) == [kept_message]
        assert not await uow.chat_sessions.delete(mine, gone.id)


async def test_another_accounts_chats_are_invisible_by_filter_and_by_tenant_scope(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    their_session = session(their_agent)
    their_question = message(their_session, Role.USER, "Secret question", idempotency_key="k")
    their_answer = message(
        their_session, Role.ASSISTANT, "Secret answer", reply_to=their_question.id, at=T0 + timedelta(seconds=1)
    )
    await add(container, their_session, their_question, their_answer)
    await add(container, session(my_agent))
    async with container.uow()(account_id=mine) as uow:
        # Asked under my account id: the repositories' filter hides them.
        assert await uow.chat_sessions.get(mine, their_session.id) is None
        assert await uow.chat_messages.get(mine, their_answer.id) is None
        assert await uow.chat_messages.list_for_session(mine, their_session.id) == []
        # Asked under their account id but in my tenant scope: the tenant scope hides them.
        assert await uow.chat_sessions.get(theirs, their_session.id) is None
        assert await uow.chat_sessions.list_for_visitor(theirs, their_agent.id, VISITOR, limit=10) == []
        assert await uow.chat_sessions.list_for_agent(theirs, their_agent.id, limit=10) == []
        assert await uow.chat_messages.get(theirs, their_answer.id) is None
        assert await uow.chat_messages.list_for_session(theirs, their_session.id) == []
        assert await uow.chat_messages.find_by_idempotency_key(theirs, their_session.id, "k") is None
        assert await uow.chat_messages.find_reply(theirs, their_question.id) is None
        assert not await uow.chat_messages.update(msgspec.structs.replace(their_answer, content="Hijacked"))
        await uow.chat_sessions.touch(theirs, their_session.id, T0 + timedelta(days=1))
        assert not await uow.chat_sessions.delete(theirs, their_session.id)
        with pytest.raises(Conflict):  # nor can a message be slipped into their session
            await uow.chat_messages.add(
                msgspec.structs.replace(their_question, id=new_id("msg"), idempotency_key=None, account_id=mine)
            )
    async with container.uow()(account_id=mine) as uow:
        await uow.commit()
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.chat_sessions.get(theirs, their_session.id) == their_session
        assert await uow.chat_messages.list_for_session(theirs, their_session.id) == [their_question, their_answer]


async def test_the_keyed_read_brings_the_session_its_history_and_the_keyed_message_with_its_reply(
    container, owners
) -> None:
    mine, my_agent, theirs, their_agent = owners
    s = session(my_agent)
    question = message(s, Role.USER, "How do returns work?", idempotency_key="send-1")
    answer = message(s, Role.ASSISTANT, "Within 30 days [1].", reply_to=question.id, at=T0 + timedelta(seconds=1))
    unanswered = message(s, Role.USER, "And exchanges?", idempotency_key="send-2", at=T0 + timedelta(seconds=30))
    their_session = session(their_agent)
    their_question = message(their_session, Role.USER, "Secret", idempotency_key="send-1")
    await add(container, s, question, answer, unanswered)
    await add(container, their_session, their_question)
    # Read in a read-only unit of work, as a chat turn reads it (on Postgres: no BEGIN, no end).
    async with container.uow()(account_id=mine, read_only=True) as uow:
        read = uow.chat_sessions.get_with_recent_and_keyed
        assert await read(mine, s.id, last=2, idempotency_key="send-1") == (s, [answer, unanswered], (question, answer))
        assert await read(mine, s.id, last=0, idempotency_key="send-2") == (s, [], (unanswered, None))
        assert await read(mine, s.id, last=5, idempotency_key="send-3") == (s, [question, answer, unanswered], None)
        assert await read(mine, "ses_" + "0" * 26, last=2, idempotency_key="send-1") == (None, [], None)
        # Another account's session and key: hidden by the filter and by the tenant scope.
        assert await read(mine, their_session.id, last=2, idempotency_key="send-1") == (None, [], None)
        assert await read(theirs, their_session.id, last=2, idempotency_key="send-1") == (None, [], None)


async def test_a_read_only_unit_of_work_cannot_be_committed(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s = session(my_agent)
    await add(container, s)
    async with container.uow()(account_id=mine, read_only=True) as uow:
        assert await uow.chat_sessions.get(mine, s.id) == s
        with pytest.raises(RuntimeError):
            await uow.commit()


async def test_a_unit_that_defers_writes_stores_them_all_at_commit_or_none(container, owners) -> None:
    mine, my_agent, _, their_agent = owners
    s = session(my_agent)
    question = message(s, Role.USER, "Hi", idempotency_key="k")
    answer = message(s, Role.ASSISTANT, "Hello", reply_to=question.id, at=T0 + timedelta(seconds=1))
    async with container.uow()(account_id=mine, defer_writes=True) as uow:
        assert await uow.chat_sessions.get(mine, s.id) is None  # a read first: the transaction is open
        await uow.chat_sessions.add(s)
        await uow.chat_messages.add(question)
        # A read after held-back writes sees them (they go first, in its round trip).
        assert await uow.chat_messages.find_by_idempotency_key(mine, s.id, "k") == question
        await uow.chat_messages.add(answer)
        await uow.chat_sessions.touch(mine, s.id, T0 + timedelta(minutes=1))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_messages.list_for_session(mine, s.id) == [question, answer]
        assert (await uow.chat_sessions.get(mine, s.id)).last_message_at == T0 + timedelta(minutes=1)
    # A key already taken in the session: the conflict is raised at the latest by commit, and
    # nothing of the unit is stored (on Postgres the insert goes with the COMMIT).
    again = message(s, Role.USER, "Hi again", idempotency_key="k", at=T0 + timedelta(minutes=2))
    reply = message(s, Role.ASSISTANT, "Hello again", reply_to=again.id, at=T0 + timedelta(minutes=2, seconds=1))
    with pytest.raises(Conflict):
        async with container.uow()(account_id=mine, defer_writes=True) as uow:
            await uow.chat_messages.add(reply)
            await uow.chat_messages.add(again)
            await uow.chat_sessions.touch(mine, s.id, T0 + timedelta(minutes=2))
            await uow.commit()
    # Nor can a message be slipped into another account's session.
    their_session = session(their_agent)
    await add(container, their_session)
    slipped = message(their_session, Role.USER, "Slipped in", at=T0 + timedelta(minutes=3))
    with pytest.raises(Conflict):
        async with container.uow()(account_id=mine, defer_writes=True) as uow:
            await uow.chat_messages.add(msgspec.structs.replace(slipped, account_id=mine))
            await uow.commit()
    # Leaving without commit drops the held-back writes.
    async with container.uow()(account_id=mine, defer_writes=True) as uow:
        await uow.chat_messages.add(message(s, Role.USER, "Dropped", at=T0 + timedelta(minutes=4)))
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_messages.list_for_session(mine, s.id) == [question, answer]
        assert (await uow.chat_sessions.get(mine, s.id)).last_message_at == T0 + timedelta(minutes=1)
        assert await uow.chat_messages.list_for_session(mine, their_session.id) == []


async def test_an_agents_conversations_handoff_settings_and_lead_form_go_with_the_agent(container, owners) -> None:
    """Deleting an agent takes its conversations (sessions and messages), its handoff settings and
    its lead form, as the Postgres foreign keys cascade them; the memory backend the same."""
    mine, my_agent, theirs, their_agent = owners
    kept: dict[str, tuple[str, str]] = {}
    for agent in (my_agent, their_agent):
        s = session(agent)
        m = message(s, Role.USER, "Do you ship to Norway?")
        await add(container, s, m)
        async with container.uow()(account_id=agent.account_id) as uow:
            await uow.handoffs.save_settings(agent.account_id, agent.id, HandoffSettings(enabled=True))
            await uow.leads.save_form(
                LeadForm(account_id=agent.account_id, agent_id=agent.id, enabled=True, updated_at=T0)
            )
            await uow.commit()
        kept[agent.id] = (s.id, m.id)

    await container.delete_agent()(Principal.own(account_id=mine), my_agent.id)

    for agent, present in ((my_agent, False), (their_agent, True)):
        session_id, message_id = kept[agent.id]
        async with container.uow()(account_id=agent.account_id) as uow:
            assert (await uow.chat_sessions.get(agent.account_id, session_id) is not None) is present
            assert (await uow.chat_messages.get(agent.account_id, message_id) is not None) is present
            assert (await uow.handoffs.get_settings(agent.account_id, agent.id) is not None) is present
            assert (await uow.leads.get_form(agent.account_id, agent.id) is not None) is present
