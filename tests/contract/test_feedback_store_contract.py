"""The feedback store (AnswerFeedbackRepository on the unit of work), on memory and on Postgres:
votes live on the messages they rate, are listed per agent with their question, filtered by
rating and time, never seen by another account, and go with their conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aioomi.domain.model.chat import MessageStatus, Role
from aioomi.domain.model.feedback import Feedback, Rating
from tests.contract.test_chat_store_contract import add, message, owners, session  # noqa: F401 - fixtures

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def up(at: datetime, comment: str | None = None) -> Feedback:
    return Feedback(rating=Rating.UP, comment=comment, given_at=at, updated_at=at)


def down(at: datetime, comment: str | None = None) -> Feedback:
    return Feedback(rating=Rating.DOWN, comment=comment, given_at=at, updated_at=at)


async def rate(container, account_id: str, message_id: str, feedback: Feedback) -> bool:
    async with container.uow()(account_id=account_id) as uow:
        done = await uow.feedback.rate(account_id, message_id, feedback)
        await uow.commit()
    return done


async def listed(container, account_id: str, agent_id: str, **filters):
    async with container.uow()(account_id=account_id) as uow:
        return await uow.feedback.list_for_agent(account_id, agent_id, limit=filters.pop("limit", 100), **filters)


async def conversation(container, agent, question: str, answer: str, at: datetime = T0):
    s = session(agent, at=at)
    q = message(s, Role.USER, question, at=at)
    a = message(s, Role.ASSISTANT, answer, at=at, reply_to=q.id, status=MessageStatus.COMPLETE)
    await add(container, s, q, a)
    return s, q, a


async def test_a_vote_is_stored_on_its_message_replaced_and_listed_with_its_question(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s, q, a = await conversation(container, my_agent, "Opening hours?", "9 to 5 [1].")
    assert await rate(container, mine, a.id, down(T0, "We open at 8."))
    async with container.uow()(account_id=mine) as uow:
        assert (await uow.chat_messages.get(mine, a.id)).feedback == down(T0, "We open at 8.")
        [restored] = [m for m in await uow.chat_messages.list_for_session(mine, s.id) if m.id == a.id]
    assert restored.feedback == down(T0, "We open at 8."), "the session's messages carry their vote"
    changed = Feedback(rating=Rating.UP, comment=None, given_at=T0, updated_at=T0 + timedelta(minutes=1))
    assert await rate(container, mine, a.id, changed)
    [entry] = await listed(container, mine, my_agent.id)
    assert (entry.message_id, entry.session_id, entry.agent_id, entry.question, entry.answer, entry.feedback) == (
        a.id,
        s.id,
        my_agent.id,
        "Opening hours?",
        "9 to 5 [1].",
        changed,
    )
    assert not await rate(container, mine, "msg_nothing_here", changed)


async def test_votes_are_filtered_by_rating_and_time_newest_first(container, owners) -> None:
    mine, my_agent, _, _ = owners
    _, _, first = await conversation(container, my_agent, "One?", "1.")
    _, _, second = await conversation(container, my_agent, "Two?", "2.")
    _, _, third = await conversation(container, my_agent, "Three?", "3.")
    _, _, unrated = await conversation(container, my_agent, "Four?", "4.")
    await rate(container, mine, first.id, down(T0 + timedelta(hours=1)))
    await rate(container, mine, second.id, up(T0 + timedelta(hours=2)))
    await rate(container, mine, third.id, down(T0 + timedelta(hours=3)))
    assert [e.message_id for e in await listed(container, mine, my_agent.id)] == [third.id, second.id, first.id]
    assert [e.message_id for e in await listed(container, mine, my_agent.id, rating=Rating.DOWN)] == [
        third.id,
        first.id,
    ]
    assert [
        e.message_id
        for e in await listed(
            container, mine, my_agent.id, since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=3)
        )
    ] == [second.id]
    assert [e.message_id for e in await listed(container, mine, my_agent.id, limit=1)] == [third.id]
    assert unrated.id not in {e.message_id for e in await listed(container, mine, my_agent.id)}


async def test_another_account_neither_sees_nor_rates_my_answers(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    _, _, a = await conversation(container, my_agent, "Mine?", "Yes.")
    await rate(container, mine, a.id, up(T0))
    assert not await rate(container, theirs, a.id, down(T0, "hijack"))
    assert await listed(container, theirs, my_agent.id) == []
    assert await listed(container, theirs, their_agent.id) == []
    [entry] = await listed(container, mine, my_agent.id)
    assert entry.feedback == up(T0)


async def test_a_vote_goes_with_its_conversation(container, owners) -> None:
    mine, my_agent, _, _ = owners
    s, _, a = await conversation(container, my_agent, "Gone?", "Soon.")
    await rate(container, mine, a.id, down(T0, "a comment to forget"))
    async with container.uow()(account_id=mine) as uow:
        assert await uow.chat_sessions.delete(mine, s.id)
        await uow.commit()
    assert await listed(container, mine, my_agent.id) == []


async def test_the_retention_sweep_takes_the_votes_with_the_chats(container, owners) -> None:
    mine, my_agent, _, _ = owners
    _, _, old = await conversation(container, my_agent, "Old?", "Yes.", at=T0)
    _, _, recent = await conversation(container, my_agent, "Recent?", "Yes.", at=T0 + timedelta(days=400))
    await rate(container, mine, old.id, down(T0, "old comment"))
    await rate(container, mine, recent.id, up(T0 + timedelta(days=400)))
    async with container.uow()(account_id=None) as uow:
        removed = await uow.privacy.sweep_chats(T0 + timedelta(days=401), 100)
        await uow.commit()
    assert removed == 1, "12 months keep the recent chat, not the old one"
    assert [e.message_id for e in await listed(container, mine, my_agent.id)] == [recent.id]
