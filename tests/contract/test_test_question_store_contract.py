"""The test-question store (TestQuestionStore on the unit of work), on memory and on Postgres:
questions listed oldest first, updated and deleted; runs stored whole and listed latest first;
nothing seen by another account; a ``cites`` expectation names one of the agent's documents; an
agent's test questions, runs and question groups go with the agent and with the account (the
memory backend as Postgres's cascades)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from testkit.builders import agent_for, document_for, store_documents

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.question_groups import QuestionGroup, WantingReason
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


async def test_a_cited_document_must_be_one_of_the_agents_documents(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    sibling = await agent_for_account(container, mine)
    own = document_for(mine, my_agent.id)
    of_my_other_agent = document_for(mine, sibling.id)
    of_another_account = document_for(theirs, their_agent.id)
    await store_documents(container, own, of_my_other_agent, of_another_account)
    me = Principal.own(account_id=mine)
    create, update = container.create_test_question(), container.update_test_question()

    made = await create(me, my_agent.id, question="Returns?", kind=ExpectationKind.CITES, document_id=own.id)
    assert made.document_id == own.id
    for wrong in (of_my_other_agent.id, of_another_account.id, new_id("doc"), "doc_returns"):
        with pytest.raises(InvalidInput) as refused:
            await create(me, my_agent.id, question="Returns?", kind=ExpectationKind.CITES, document_id=wrong)
        assert (refused.value.code, refused.value.field) == ("unknown_test_document", "document_id")
        with pytest.raises(InvalidInput) as refused:
            await update(me, my_agent.id, made.id, question="Refunds?", kind=ExpectationKind.CITES, document_id=wrong)
        assert refused.value.code == "unknown_test_document"
    async with container.uow()(account_id=mine) as uow:
        assert await uow.test_questions.list_questions(mine, my_agent.id) == [made], "nothing half-written"
    moved = await update(me, my_agent.id, made.id, question="Refunds?", kind=ExpectationKind.CITES, document_id=own.id)
    assert (moved.question, moved.document_id) == ("Refunds?", own.id)


def a_group(agent, label: str) -> QuestionGroup:
    return QuestionGroup(
        id=new_id("qgr"),
        account_id=agent.account_id,
        agent_id=agent.id,
        key=label.lower(),
        label=label,
        count=2,
        examples=(label,),
        reasons=(WantingReason.UNANSWERED,),
        first_seen=T0,
        last_seen=T0,
        updated_at=T0,
    )


async def agent_for_account(container, account_id: str):
    """One more agent of an account already stored."""
    async with container.uow()(account_id=account_id) as uow:
        owner = await uow.accounts.get(account_id)
    more = agent_for(owner)
    async with container.uow()(account_id=account_id) as uow:
        await uow.agents.add(more)
        await uow.commit()
    return more


async def loop_rows(container, agent) -> tuple[int, int, int]:
    """How many test questions, test runs and question groups of every status the agent has."""
    async with container.uow()(account_id=agent.account_id) as uow:
        return (
            len(await uow.test_questions.list_questions(agent.account_id, agent.id)),
            len(await uow.test_questions.list_runs(agent.account_id, agent.id, limit=100)),
            len(await uow.question_groups.list(agent.account_id, agent.id, status=None, limit=100)),
        )


async def give_loop_rows(container, agent) -> None:
    async with container.uow()(account_id=agent.account_id) as uow:
        await uow.test_questions.add(a_question(agent, "Norway?", T0))
        await uow.test_questions.add_run(a_run(agent, T0))
        await uow.question_groups.replace_open(agent.account_id, agent.id, [a_group(agent, "Norway?")])
        await uow.commit()


async def test_an_agents_test_questions_runs_and_groups_go_with_the_agent(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    sibling = await agent_for_account(container, mine)
    for agent in (my_agent, sibling, their_agent):
        await give_loop_rows(container, agent)
    assert await loop_rows(container, my_agent) == (1, 1, 1)

    await container.delete_agent()(Principal.own(account_id=mine), my_agent.id)

    assert await loop_rows(container, my_agent) == (0, 0, 0)
    assert await loop_rows(container, sibling) == (1, 1, 1), "the account's other agent keeps its own"
    assert await loop_rows(container, their_agent) == (1, 1, 1)


async def test_an_accounts_test_questions_runs_and_groups_go_with_its_erasure(container, owners) -> None:
    mine, my_agent, theirs, their_agent = owners
    for agent in (my_agent, their_agent):
        await give_loop_rows(container, agent)

    async with container.uow()(account_id=None) as uow:
        await uow.privacy.erase_account(mine)
        await uow.commit()

    assert await loop_rows(container, my_agent) == (0, 0, 0)
    assert await loop_rows(container, their_agent) == (1, 1, 1)
