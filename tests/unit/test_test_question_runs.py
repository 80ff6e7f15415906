"""Running test questions (memory backend): the visitor's answering path without recording a
conversation or metering, "mentions" not applicable offline, a model failure failing one
question, and the debounced runs queued after the knowledge or the settings change."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta

from dependency_injector import providers
from testkit.builders import document_for, store_documents

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import container_in_memory
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentChanges
from aioomi.domain.model.chat import Passage
from aioomi.domain.model.qa_pairs import QaPairInput
from aioomi.domain.model.test_questions import ExpectationKind, Outcome
from aioomi.domain.usecases.test_questions.request_test_run import RUN_TEST_QUESTIONS
from aioomi.domain.usecases.test_questions.run_test_questions import RunTestQuestions
from aioomi.settings import Settings
from tests.unit.chat_support import ListSearch, account, agent_for, store
from tests.unit.test_webhooks import FakeTransport

NOW = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)


def returns_passage(document_id: str) -> Passage:
    return Passage(
        document_id=document_id,
        document_title="Returns",
        position=0,
        text="You can return any item within 30 days.",
        relevance=0.9,
    )


async def world():
    container = container_in_memory(settings=Settings(data_dir=tempfile.mkdtemp(prefix="aioomi-tq-")))
    clock = ManualClock(NOW)
    container.clock.override(providers.Object(clock))
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    returns = document_for(owner.id, agent.id, title="Returns")
    await store_documents(container, returns)
    return container, clock, agent, Principal.own(account_id=owner.id), returns.id


def runs_queued(container) -> list:
    return [j for j in container.job_store().jobs if j.kind == RUN_TEST_QUESTIONS]


async def test_offline_mentions_is_not_applicable_and_nothing_is_recorded_or_metered() -> None:
    container, clock, agent, me, returns = await world()
    create = container.create_test_question()
    mentions = await create(me, agent.id, question="Can I return it?", kind=ExpectationKind.MENTIONS, facts=["30 days"])
    clock.advance(timedelta(seconds=1))  # listed oldest first
    cites = await create(me, agent.id, question="Return policy?", kind=ExpectationKind.CITES, document_id=returns)
    model = ScriptedChatModel(reply=lambda r: "Within 30 days [1].")
    run = RunTestQuestions(container.uow(), clock, model, ListSearch([returns_passage(returns)]), facts_apply=False)
    summary = await run(agent.account_id, agent.id)
    async with container.uow()(account_id=agent.account_id) as uow:
        [stored] = await uow.test_questions.list_runs(agent.account_id, agent.id, limit=10)
    assert summary == {"run_id": stored.id, "questions": 2, "failed": 0, "newly_failing": 0}
    assert [(r.question_id, r.outcome) for r in stored.results] == [
        (mentions.id, Outcome.NOT_APPLICABLE),
        (cites.id, Outcome.PASSED),
    ]
    assert len(model.requests) == 2, "each question asked the model once"
    assert container.memory_database().table("chat_sessions") == {}, "no visitor conversation"
    assert container.memory_database().table("chat_messages") == {}
    assert container.memory_database().table("usage_entries") == {}, "not metered"


async def test_a_model_failure_fails_that_question_only_and_the_change_is_shown() -> None:
    container, clock, agent, me, returns = await world()
    create = container.create_test_question()
    first = await create(me, agent.id, question="Can I return it?", kind=ExpectationKind.CITES, document_id=returns)
    clock.advance(timedelta(seconds=1))
    second = await create(me, agent.id, question="Shipping abroad to Norway?", kind=ExpectationKind.FALLS_BACK)
    container.webhook_transport.override(providers.Object(FakeTransport()))
    await container.create_webhook_endpoint()(me, url="https://crm.example.com/in", events=["test_run.failed"])
    model = ScriptedChatModel(reply=lambda r: "Within 30 days [1].")
    run = RunTestQuestions(container.uow(), clock, model, ListSearch([returns_passage(returns)]), facts_apply=True)
    await run(agent.account_id, agent.id)
    assert container.memory_database().table("webhook_events") == {}, "nothing newly failing, no event"
    model.fail_before_first = 1
    clock.advance(timedelta(minutes=5))
    summary = await run(agent.account_id, agent.id, "knowledge")
    async with container.uow()(account_id=agent.account_id) as uow:
        latest, _ = await uow.test_questions.list_runs(agent.account_id, agent.id, limit=10)
    assert summary["newly_failing"] == 1
    assert [(r.question_id, r.outcome, r.change) for r in latest.results] == [
        (first.id, Outcome.FAILED, "newly_failing"),
        (second.id, Outcome.PASSED, None),
    ]
    assert latest.results[0].excerpt.startswith("(the model failed: ")
    assert str(latest.trigger) == "knowledge"
    [event] = [e for e in container.memory_database().table("webhook_events").values()]
    assert (event.type, event.data["run_id"], event.data["newly_failing"]) == (
        "test_run.failed",
        latest.id,
        [{"question_id": first.id, "question": "Can I return it?"}],
    )


async def test_an_agent_without_test_questions_stores_no_run_and_queues_none() -> None:
    container, clock, agent, me, returns = await world()
    assert await container.run_test_questions()(agent.account_id, agent.id) == {"run_id": None, "questions": 0}
    await container.update_agent()(me, agent.id, AgentChanges(name="Renamed"))
    assert runs_queued(container) == []


async def test_a_settings_or_knowledge_change_queues_one_debounced_run() -> None:
    container, clock, agent, me, returns = await world()
    await container.create_test_question()(me, agent.id, question="Norway?", kind=ExpectationKind.FALLS_BACK)
    await container.update_agent()(me, agent.id, AgentChanges())
    assert runs_queued(container) == [], "no change, no run"
    await container.update_agent()(me, agent.id, AgentChanges(fallback_message="Ask us by e-mail."))
    await container.update_agent()(me, agent.id, AgentChanges(name="Renamed"))
    [queued] = runs_queued(container)
    assert queued.payload == {"account_id": agent.account_id, "agent_id": agent.id, "trigger": "settings"}
    assert queued.run_at == NOW + timedelta(seconds=60), "a minute later, after the burst"

    clock.advance(timedelta(minutes=1))
    pair = await container.add_qa_pair()(me, agent.id, QaPairInput(question="Norway?", answer="Yes."))
    await container.delete_qa_pair()(me, agent.id, pair.id)
    later = runs_queued(container)[1:]
    assert [(j.payload["trigger"], j.run_at) for j in later] == [("knowledge", NOW + timedelta(seconds=120))]


async def test_a_change_of_the_curated_answer_settings_queues_one_debounced_run() -> None:
    container, clock, agent, me, returns = await world()
    set_curated = container.set_curated_settings()
    await set_curated(me, agent.id, mode="direct", threshold=0.7)
    assert runs_queued(container) == [], "no test questions, no run"

    await container.create_test_question()(me, agent.id, question="Norway?", kind=ExpectationKind.FALLS_BACK)
    await set_curated(me, agent.id, mode="direct", threshold=0.7)
    assert runs_queued(container) == [], "the same settings again are no change"
    await set_curated(me, agent.id, mode="passage", threshold=0.7)
    await set_curated(me, agent.id, mode="passage", threshold=0.9)
    [queued] = runs_queued(container)
    assert queued.payload == {"account_id": agent.account_id, "agent_id": agent.id, "trigger": "settings"}
    assert queued.run_at == NOW + timedelta(seconds=60), "one run a minute later, after the burst"


async def test_the_first_curated_answer_choice_queues_a_run_only_when_it_differs_from_the_defaults() -> None:
    container, clock, agent, me, returns = await world()
    await container.create_test_question()(me, agent.id, question="Norway?", kind=ExpectationKind.FALLS_BACK)
    await container.set_curated_settings()(me, agent.id, mode="passage", threshold=0.8)
    assert runs_queued(container) == [], "the defaults (passage, 0.8) chosen explicitly change nothing"
    await container.set_curated_settings()(me, agent.id, mode="direct", threshold=0.8)
    assert [j.payload["trigger"] for j in runs_queued(container)] == ["settings"]
