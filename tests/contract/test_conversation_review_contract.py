"""The conversation review (ConversationReviewRepository), on memory and on Postgres (full-text
search there): filters, rows (first question, count, outcome, votes), pages, tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aioomi.domain.model.chat import Citation, MessageStatus, Role
from aioomi.domain.model.conversation_review import FeedbackFilter, Outcome, ReviewFilters
from aioomi.domain.model.feedback import Feedback, Rating
from aioomi.domain.model.pagination import PageKey
from tests.contract.test_chat_store_contract import add, message, owners, session  # noqa: F401 - fixtures

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CITED = (Citation(document_id="doc_x", document_title="X", position=0, excerpt="x"),)


async def conversation(container, agent, at: datetime, *turns: tuple[str, str, dict]) -> str:
    s = session(agent, at=at)
    items = [s]
    for i, (question, answer, more) in enumerate(turns):
        q = message(s, Role.USER, question, at=at + timedelta(seconds=2 * i))
        a = message(
            s,
            Role.ASSISTANT,
            answer,
            at=at + timedelta(seconds=2 * i + 1),
            reply_to=q.id,
            **({"status": MessageStatus.COMPLETE, "citations": CITED} | more),
        )
        items += [q, a]
    await add(container, *items)
    return s.id


async def review(container, account_id, agent_id, limit=10, after=None, **filters):
    async with container.uow()(account_id=account_id) as uow:
        return await uow.conversation_review.review(
            account_id, agent_id, ReviewFilters(**filters), limit=limit, after=after
        )


async def test_rows_and_filters(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    down = Feedback(rating=Rating.DOWN, given_at=T0, updated_at=T0)
    up = Feedback(rating=Rating.UP, given_at=T0, updated_at=T0)
    kettles = await conversation(
        container,
        my_agent,
        T0,
        ("Do you sell kettles?", "Yes, electric kettles.", {}),
        ("And teapots?", "Sorry.", {"status": MessageStatus.UNANSWERED}),
    )
    refunds = await conversation(
        container, my_agent, T0 + timedelta(days=1), ("Refund delays?", "Five days.", {"feedback": down})
    )
    curated = await conversation(
        container,
        my_agent,
        T0 + timedelta(days=2),
        ("Norway shipping?", "Yes.", {"curated_pair_id": "doc_pair", "feedback": up}),
    )
    failed = await conversation(
        container, my_agent, T0 + timedelta(days=3), ("Hello?", "", {"status": MessageStatus.FAILED, "citations": ()})
    )
    await conversation(container, their_agent, T0, ("Do you sell kettles?", "Theirs.", {}))

    rows = await review(container, mine, my_agent.id)
    assert [(r.session.id, r.first_question, r.message_count, r.outcome, r.thumbs_up, r.thumbs_down) for r in rows] == [
        (failed, "Hello?", 2, Outcome.FAILED, 0, 0),
        (curated, "Norway shipping?", 2, Outcome.CURATED, 1, 0),
        (refunds, "Refund delays?", 2, Outcome.ANSWERED, 0, 1),
        (kettles, "Do you sell kettles?", 4, Outcome.UNANSWERED, 0, 0),
    ]

    def ids(found) -> list[str]:
        return [r.session.id for r in found]

    assert ids(await review(container, mine, my_agent.id, unanswered=True)) == [kettles]
    assert ids(await review(container, mine, my_agent.id, feedback=FeedbackFilter.ANY)) == [curated, refunds]
    assert ids(await review(container, mine, my_agent.id, feedback=FeedbackFilter.DOWN)) == [refunds]
    assert ids(await review(container, mine, my_agent.id, feedback=FeedbackFilter.UP)) == [curated]
    assert ids(await review(container, mine, my_agent.id, text="electric kettles")) == [kettles], (
        "both words, one message"
    )
    assert ids(await review(container, mine, my_agent.id, text="kettles")) == [kettles]
    assert ids(await review(container, mine, my_agent.id, text="electric teapots")) == [], "not in one message"
    assert ids(
        await review(container, mine, my_agent.id, since=T0 + timedelta(days=1), until=T0 + timedelta(days=3))
    ) == [curated, refunds]
    first = await review(container, mine, my_agent.id, limit=2)
    after = PageKey(created_at=first[-1].session.created_at, id=first[-1].session.id)
    assert ids(await review(container, mine, my_agent.id, limit=2, after=after)) == [refunds, kettles]
    assert await review(container, theirs, my_agent.id) == []


async def test_handed_off_and_has_lead_filters(container, owners) -> None:
    from aioomi.domain.model.handoff import HandoffAction
    from aioomi.domain.model.ids import new_id
    from aioomi.domain.model.leads import Lead
    from tests.contract.test_handoff_store_contract import act, reload

    mine, my_agent, theirs, their_agent = owners
    quiet = await conversation(container, my_agent, T0, ("Hours?", "Nine to five.", {}))
    asked = await conversation(container, my_agent, T0 + timedelta(days=1), ("A person please", "Sure.", {}))
    handed_back = await conversation(container, my_agent, T0 + timedelta(days=2), ("Talk to someone", "Ok.", {}))
    with_lead = await conversation(container, my_agent, T0 + timedelta(days=3), ("Quote?", "Leave details.", {}))
    theirs_asked = await conversation(container, their_agent, T0, ("A person", "Sure.", {}))

    async def ask(account_id: str, session_id: str, *moves: HandoffAction) -> None:
        for i, move in enumerate(moves):
            async with container.uow()(account_id=account_id) as uow:
                found = await uow.chat_sessions.get(account_id, session_id)
            assert found is not None
            await act(container, await reload(container, found), move, T0 + timedelta(days=5, minutes=i))

    await ask(mine, asked, HandoffAction.REQUEST)
    await ask(mine, handed_back, HandoffAction.REQUEST, HandoffAction.TAKE, HandoffAction.HAND_BACK)
    await ask(theirs, theirs_asked, HandoffAction.REQUEST)
    async with container.uow()(account_id=mine) as uow:
        await uow.leads.add_lead(
            Lead(
                id=new_id("lead"),
                account_id=mine,
                agent_id=my_agent.id,
                visitor_id="visitor-0123456789abcdef",
                values={"email": "ada@example.com"},
                consent_text="I agree.",
                privacy_url=None,
                created_at=T0 + timedelta(days=4),
                session_id=with_lead,
            )
        )
        await uow.commit()

    def ids(found) -> list[str]:
        return [r.session.id for r in found]

    # A person was asked for, whatever came of it (handed back too); newest first.
    assert ids(await review(container, mine, my_agent.id, handed_off=True)) == [handed_back, asked]
    assert ids(await review(container, mine, my_agent.id, handed_off=False)) == [with_lead, quiet]
    assert ids(await review(container, mine, my_agent.id, has_lead=True)) == [with_lead]
    assert ids(await review(container, mine, my_agent.id, has_lead=False)) == [handed_back, asked, quiet]
    assert ids(await review(container, mine, my_agent.id, handed_off=True, has_lead=True)) == []
    assert ids(await review(container, theirs, their_agent.id, handed_off=True)) == [theirs_asked]
