"""The test-question store (TestQuestionStore on the unit of work), on memory and on Postgres:
questions listed oldest first, updated and deleted; runs stored whole and listed latest first;
nothing seen by another account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from aioomi.domain.model.ids import new_id
from aioomi.domain.model.test_questions import (
    Change,
    ExpectationKind,
    Outcome,
    RunTrigger,
    TestQuestion,
    TestResult,
    TestRun,
)
from tests.contract.test_chat_store_contract import owners  # noqa: F401 - fixture

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def a_question(agent, text: str, at: datetime, **more) -> TestQuestion:
    return TestQuestion(
        id=new_id("tq"),
        account_id=agent.account_id,
        agent_id=agent.id,
        question=text,
        kind=more.pop("kind", ExpectationKind.FALLS_BACK),
        created_at=at,
        updated_at=at,
        **more,
    )


def a_run(agent, at: datetime, *results: TestResult) -> TestRun:
    return TestRun(
        id=new_id("trun"),
        account_id=agent.account_id,
        agent_id=agent.id,
        trigger=RunTrigger.MANUAL,
        started_at=at - timedelta(seconds=5),
        finished_at=at,
        results=results,
    )


async def test_questions_are_added_listed_updated_and_deleted(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    later = a_question(my_agent, "Hours?", T0 + timedelta(minutes=1), kind=ExpectationKind.MENTIONS, facts=("9am",))
    first = a_question(my_agent, "Norway?", T0)
    cites = a_question(my_agent, "Returns?", T0 + timedelta(minutes=2), kind=ExpectationKind.CITES, document_id="doc_r")
    other = a_question(their_agent, "Theirs?", T0)
    async with container.uow()(account_id=mine) as uow:
        for q in (later, first, cites):
            await uow.test_questions.add(q)
        await uow.commit()
    async with container.uow()(account_id=theirs) as uow:
        await uow.test_questions.add(other)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.test_questions.list_questions(mine, my_agent.id) == [first, later, cites]
        assert await uow.test_questions.get(mine, other.id) is None, "another account's question is not seen"
        assert not await uow.test_questions.delete(mine, other.id)
        changed = msgspec.structs.replace(
            later, question="Opening hours?", facts=("9am", "5pm"), updated_at=T0 + timedelta(hours=1)
        )
        assert await uow.test_questions.update(changed)
        assert not await uow.test_questions.update(msgspec.structs.replace(other, account_id=mine))
        assert await uow.test_questions.delete(mine, first.id)
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.test_questions.list_questions(mine, my_agent.id) == [changed, cites]
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.test_questions.list_questions(theirs, their_agent.id) == [other]


async def test_runs_are_stored_whole_and_listed_latest_first(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    failing = TestResult(
        question_id="tq_a",
        question="Returns?",
        kind=ExpectationKind.CITES,
        outcome=Outcome.FAILED,
        excerpt="Sorry, I don't know.",
        cited_document_ids=(),
        change=Change.NEWLY_FAILING,
    )
    offline = TestResult(
        question_id="tq_b",
        question="Hours?",
        kind=ExpectationKind.MENTIONS,
        outcome=Outcome.NOT_APPLICABLE,
        excerpt="Open 9 to 5 [1].",
        cited_document_ids=("doc_h", "doc_x"),
    )
    old, new = a_run(my_agent, T0, offline), a_run(my_agent, T0 + timedelta(hours=1), failing, offline)
    async with container.uow()(account_id=mine) as uow:
        await uow.test_questions.add_run(new)
        await uow.test_questions.add_run(old)
        await uow.commit()
    async with container.uow()(account_id=theirs) as uow:
        await uow.test_questions.add_run(a_run(their_agent, T0 + timedelta(days=1)))
        await uow.commit()
    async with container.uow()(account_id=mine) as uow:
        assert await uow.test_questions.list_runs(mine, my_agent.id, limit=10) == [new, old]
        assert await uow.test_questions.list_runs(mine, my_agent.id, limit=1) == [new]
        assert await uow.test_questions.get_run(mine, new.id) == new
    async with container.uow()(account_id=theirs) as uow:
        assert await uow.test_questions.get_run(theirs, new.id) is None, "another account's run is not seen"
        assert [r.agent_id for r in await uow.test_questions.list_runs(theirs, their_agent.id, limit=10)] == [
            their_agent.id
        ]
