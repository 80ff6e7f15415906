"""The question-group store (QuestionGroupRepository on the unit of work), on memory and on
Postgres: which questions are wanting and why, open groups replaced while closed ones stay, and
nothing seen by another account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from aioomi.domain.model.chat import Citation, MessageStatus, Role
from aioomi.domain.model.feedback import Feedback, Rating
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup, WantingQuestion, WantingReason
from tests.contract.test_chat_store_contract import add, message, owners, session  # noqa: F401 - fixtures

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CITED = (Citation(document_id="doc_x", document_title="X", position=0, excerpt="x"),)


async def turn(container, agent, question: str, at: datetime, **answer) -> str:
    s = session(agent, at=at)
    q = message(s, Role.USER, question, at=at)
    a = message(s, Role.ASSISTANT, "…", at=at, reply_to=q.id, **({"status": MessageStatus.COMPLETE} | answer))
    await add(container, s, q, a)
    return q.id


def group(agent, key: str, count: int, status: GroupStatus = GroupStatus.OPEN) -> QuestionGroup:
    return QuestionGroup(
        id=new_id("qgr"),
        account_id=agent.account_id,
        agent_id=agent.id,
        key=key,
        label=key.title(),
        count=count,
        examples=(key.title(), key),
        reasons=(WantingReason.UNANSWERED,),
        first_seen=T0,
        last_seen=T0 + timedelta(hours=1),
        status=status,
        updated_at=T0,
    )


async def test_wanting_questions_are_the_fallbacks_the_sourceless_and_the_disliked(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    fell_back = await turn(container, my_agent, "Norway?", T0, status=MessageStatus.UNANSWERED)
    sourceless = await turn(container, my_agent, "Sundays?", T0 + timedelta(minutes=1))
    disliked = await turn(
        container,
        my_agent,
        "Refunds?",
        T0 + timedelta(minutes=2),
        citations=CITED,
        feedback=Feedback(rating=Rating.DOWN, given_at=T0, updated_at=T0),
    )
    await turn(container, my_agent, "Hours?", T0 + timedelta(minutes=3), citations=CITED)
    await turn(
        container,
        my_agent,
        "Liked?",
        T0 + timedelta(minutes=4),
        citations=CITED,
        feedback=Feedback(rating=Rating.UP, given_at=T0, updated_at=T0),
    )
    await turn(container, my_agent, "Curated?", T0 + timedelta(minutes=5), curated_pair_id="doc_pair")
    await turn(container, my_agent, "Broken?", T0 + timedelta(minutes=6), status=MessageStatus.FAILED)
    await turn(container, their_agent, "Theirs?", T0, status=MessageStatus.UNANSWERED)
    async with container.uow()(account_id=mine) as uow:
        found = await uow.question_groups.wanting(mine, my_agent.id, limit=10)
        assert await uow.question_groups.wanting(mine, my_agent.id, limit=2) == found[:2]
    assert found == [
        WantingQuestion(
            message_id=disliked, text="Refunds?", asked_at=T0 + timedelta(minutes=2), reason=WantingReason.DISLIKED
        ),
        WantingQuestion(
            message_id=sourceless, text="Sundays?", asked_at=T0 + timedelta(minutes=1), reason=WantingReason.NO_SOURCES
        ),
        WantingQuestion(message_id=fell_back, text="Norway?", asked_at=T0, reason=WantingReason.UNANSWERED),
    ]
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.question_groups.wanting(theirs, my_agent.id, limit=10) == []


async def test_open_groups_are_replaced_closed_ones_stay_and_others_see_none(container, owners) -> None:
    mine, my_agent, theirs, _ = owners
    old, closed = group(my_agent, "old", 5), group(my_agent, "done", 2, GroupStatus.DISMISSED)
    async with container.uow()(account_id=mine) as uow:
        await uow.question_groups.replace_open(mine, my_agent.id, [old, closed])
        await uow.commit()
    fresh = [group(my_agent, "norway", 3), group(my_agent, "refund", 7)]
    async with container.uow()(account_id=mine) as uow:
        await uow.question_groups.replace_open(mine, my_agent.id, fresh)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        listed = await uow.question_groups.list(mine, my_agent.id, status=None, limit=10)
        assert [(g.key, g.count, g.status) for g in listed] == [
            ("refund", 7, GroupStatus.OPEN),
            ("norway", 3, GroupStatus.OPEN),
            ("done", 2, GroupStatus.DISMISSED),
        ]
        assert listed[0] == fresh[1], "stored as given"
        assert [g.key for g in await uow.question_groups.list(mine, my_agent.id, status=GroupStatus.OPEN, limit=1)] == [
            "refund"
        ]
        answered = msgspec.structs.replace(
            fresh[0], status=GroupStatus.ANSWERED, pair_id="doc_pair", updated_at=T0 + timedelta(days=1)
        )
        assert await uow.question_groups.update(answered)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.question_groups.get(mine, fresh[0].id) == answered
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.question_groups.get(theirs, fresh[0].id) is None
        assert not await uow.question_groups.update(msgspec.structs.replace(answered, account_id=theirs))
        assert await uow.question_groups.list(theirs, my_agent.id, status=None, limit=10) == []


async def test_the_chat_retention_sweep_takes_groups_whose_last_question_is_past_it(container, owners) -> None:
    mine, my_agent, _, _ = owners
    old = msgspec.structs.replace(group(my_agent, "old", 2, GroupStatus.DISMISSED), last_seen=T0 - timedelta(days=400))
    kept = msgspec.structs.replace(group(my_agent, "kept", 1, GroupStatus.ANSWERED), last_seen=T0 - timedelta(days=30))
    async with container.uow()(account_id=mine) as uow:
        await uow.question_groups.replace_open(mine, my_agent.id, [old, kept])
        await uow.commit()
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.sweep_chats(T0, 100)  # 12 months: 400 days ago is past it, 30 days is not
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert [g.key for g in await uow.question_groups.list(mine, my_agent.id, status=None, limit=10)] == ["kept"]


async def test_agents_are_due_for_a_refresh_after_a_new_wanting_answer_or_a_late_thumbs_down(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    ours = {my_agent.id, their_agent.id}
    await turn(container, my_agent, "Parking?", T0, status=MessageStatus.UNANSWERED)
    # theirs: a cited answer (not wanting) voted down two hours later
    down_later = Feedback(rating=Rating.DOWN, given_at=T0 + timedelta(hours=2), updated_at=T0 + timedelta(hours=2))
    await turn(container, their_agent, "Hours?", T0, citations=CITED, feedback=down_later)
    await turn(container, their_agent, "Prices?", T0, citations=CITED)

    async def due(floor=T0 - timedelta(days=1)) -> list[tuple[str, str]]:
        async with container.uow()(account_id=None) as uow:
            return [d for d in await uow.question_groups.due_for_refresh(floor, limit=1000) if d[1] in ours]

    async def mark(account_id, agent, at) -> None:
        async with container.uow()(account_id=account_id) as uow:
            await uow.question_groups.mark_refreshed(account_id, agent.id, at)
            await uow.commit()

    assert await due() == sorted([(mine, my_agent.id), (theirs, their_agent.id)], key=lambda d: d[1])
    assert await due(floor=T0 + timedelta(hours=3)) == [], "nothing after the floor"
    await mark(mine, my_agent, T0 + timedelta(hours=1))
    assert await due() == [(theirs, their_agent.id)]
    await mark(theirs, their_agent, T0 + timedelta(hours=1))
    assert await due() == [(theirs, their_agent.id)], "the thumbs-down came after that refresh"
    await mark(theirs, their_agent, T0 + timedelta(hours=3))
    assert await due() == []
    await turn(container, my_agent, "Parking again?", T0 + timedelta(hours=4), citations=())  # no source
    assert await due() == [(mine, my_agent.id)]
