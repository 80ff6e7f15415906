"""The analytics read port (AnalyticsRepository) on memory and on Postgres: per-day counts,
most-cited documents and top question groups, with an agent filter, a date range and two
accounts. Every expected number is counted by hand from the data written here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec

from aioomi.domain.model.agents import new_public_key
from aioomi.domain.model.analytics import CitedDocument, DayCounts
from aioomi.domain.model.chat import Citation, MessageStatus, Role
from aioomi.domain.model.feedback import Feedback, Rating
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup, WantingReason
from tests.contract.test_chat_store_contract import add, message, owners, session  # noqa: F401 - fixtures

D1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
D2 = datetime(2026, 3, 2, 23, 59, 0, tzinfo=UTC)  # its answers land the same day, a minute before midnight
D4 = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)
UP = Feedback(rating=Rating.UP, given_at=D1, updated_at=D1)
DOWN = Feedback(rating=Rating.DOWN, given_at=D1, updated_at=D1)


def cite(document_id: str, title: str, position: int = 0) -> Citation:
    return Citation(document_id=document_id, document_title=title, position=position, excerpt="…")


async def conversation(container, agent, at: datetime, *answers: dict) -> None:
    """A session at ``at`` with one question and one answer per ``answers`` (the answer's
    fields), each a second after the last."""
    s = session(agent, at=at)
    items = [s]
    for i, fields in enumerate(answers):
        q = message(s, Role.USER, f"question {i}", at=at + timedelta(seconds=2 * i))
        a = message(s, Role.ASSISTANT, f"answer {i}", at=at + timedelta(seconds=2 * i + 1), reply_to=q.id, **fields)
        items += [q, a]
    await add(container, *items)


def group(agent, label: str, count: int, last_seen: datetime, status: GroupStatus = GroupStatus.OPEN) -> QuestionGroup:
    return QuestionGroup(
        id=new_id("qgr"),
        account_id=agent.account_id,
        agent_id=agent.id,
        key=label.lower(),
        label=label,
        count=count,
        examples=(label,),
        reasons=(WantingReason.UNANSWERED,),
        first_seen=last_seen - timedelta(hours=1),
        last_seen=last_seen,
        status=status,
        updated_at=last_seen,
    )


async def read(container, account_id, agent_id, since=SINCE, until=UNTIL):
    async with container.uow()(account_id=account_id) as uow:
        return (
            await uow.analytics.daily(account_id, agent_id, since, until),
            await uow.analytics.top_documents(account_id, agent_id, since, until, limit=10),
            await uow.analytics.top_groups(account_id, agent_id, since, until, limit=10),
        )


async def test_daily_counts_documents_and_groups_per_agent_range_and_account(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    my_other = msgspec.structs.replace(my_agent, id=new_id("agt"), public_key=new_public_key())
    async with container.uow()(account_id=mine) as uow:
        await uow.agents.add(my_other)
        await uow.commit()
    complete = MessageStatus.COMPLETE
    # day 1: one answer citing doc_a twice and doc_b (thumbs up), one fallback (thumbs down)
    await conversation(
        container,
        my_agent,
        D1,
        {
            "status": complete,
            "citations": (cite("doc_a", "A"), cite("doc_a", "A", 3), cite("doc_b", "B")),
            "feedback": UP,
        },
        {"status": MessageStatus.UNANSWERED, "feedback": DOWN},
    )
    # day 2: a curated answer citing doc_a under a new title, then a failed one
    await conversation(
        container,
        my_agent,
        D2,
        {"status": complete, "citations": (cite("doc_a", "A v2"),), "curated_pair_id": "doc_pair"},
        {"status": MessageStatus.FAILED},
    )
    # day 3: nothing; day 4: one answer citing doc_b
    await conversation(container, my_agent, D4, {"status": complete, "citations": (cite("doc_b", "B"),)})
    # the account's other agent, day 1: one fallback
    await conversation(container, my_other, D1, {"status": MessageStatus.UNANSWERED})
    # before the range, and another account in it: never counted
    await conversation(
        container, my_agent, SINCE - timedelta(seconds=10), {"status": complete, "citations": (cite("doc_z", "Z"),)}
    )
    await conversation(
        container, their_agent, D1, {"status": complete, "citations": (cite("doc_z", "Z"),), "feedback": UP}
    )
    async with container.uow()(account_id=mine) as uow:
        await uow.question_groups.replace_open(
            mine,
            my_agent.id,
            [
                g5 := group(my_agent, "Opening hours", 5, D2),
                g9 := group(my_agent, "Parking", 9, D1),
                group(my_agent, "Too old", 20, SINCE - timedelta(minutes=1)),
                group(my_agent, "Dismissed", 50, D1, GroupStatus.DISMISSED),
            ],
        )
        await uow.commit()
    async with container.uow()(account_id=theirs) as uow:
        await uow.question_groups.replace_open(theirs, their_agent.id, [group(their_agent, "Theirs", 100, D1)])
        await uow.commit()

    days, documents, groups = await read(container, mine, my_agent.id)
    assert days == [
        DayCounts(
            day=date(2026, 3, 1), conversations=1, messages=4, answered=1, unanswered=1, thumbs_up=1, thumbs_down=1
        ),
        DayCounts(day=date(2026, 3, 2), conversations=1, messages=4, answered=1, failed=1, curated_hits=1),
        DayCounts(day=date(2026, 3, 4), conversations=1, messages=2, answered=1),
    ]
    assert documents == [
        CitedDocument(document_id="doc_a", title="A v2", answers=2),
        CitedDocument(document_id="doc_b", title="B", answers=2),
    ]
    assert [(g.id, g.label, g.count) for g in groups] == [(g9.id, "Parking", 9), (g5.id, "Opening hours", 5)]

    days, documents, groups = await read(container, mine, None)
    assert days[0] == DayCounts(
        day=date(2026, 3, 1), conversations=2, messages=6, answered=1, unanswered=2, thumbs_up=1, thumbs_down=1
    )
    assert [d.day for d in days] == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 4)]
    assert [g.count for g in groups] == [9, 5]

    days, documents, _ = await read(container, mine, my_agent.id, since=D4, until=UNTIL)
    assert days == [DayCounts(day=date(2026, 3, 4), conversations=1, messages=2, answered=1)]
    assert documents == [CitedDocument(document_id="doc_b", title="B", answers=1)]

    days, documents, groups = await read(container, theirs, None)
    assert days == [DayCounts(day=date(2026, 3, 1), conversations=1, messages=2, answered=1, thumbs_up=1)]
    assert documents == [CitedDocument(document_id="doc_z", title="Z", answers=1)]
    assert [g.label for g in groups] == ["Theirs"]
    assert await read(container, theirs, my_agent.id) == ([], [], []), "another account's agent shows nothing"
