"""Question groups refresh by themselves: the worker's periodic task queues a refresh for the
agents with new unanswered or disliked questions since their last one (at most 20 a tick),
and the worker runs them. On the memory adapters, with a manual clock and the real worker."""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import providers

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import MessageStatus
from aioomi.domain.model.feedback import Rating
from aioomi.domain.usecases.question_groups.queue_due_question_group_refreshes import (
    QUEUE_DUE_QUESTION_GROUP_REFRESHES,
)
from aioomi.entrypoints.worker.jobs import PERIODIC, build_worker
from tests.unit.chat_support import account, agent_for, store
from tests.unit.test_question_groups import T0, TopicEmbedder, conversation


async def test_the_worker_regroups_an_agents_questions_by_itself_once_per_new_question(memory_container) -> None:
    assert [p.every for p in PERIODIC if p.kind == QUEUE_DUE_QUESTION_GROUP_REFRESHES] == [timedelta(minutes=10)]
    clock = ManualClock(T0 + timedelta(hours=1))
    memory_container.clock.override(providers.Object(clock))
    memory_container.embedders.override(providers.Object(StaticEmbedderCatalog([TopicEmbedder()])))
    owner, quiet_owner = account(), account()
    agent, quiet = agent_for(owner), agent_for(quiet_owner)
    await store(memory_container, owner, agent)
    await store(memory_container, quiet_owner, quiet)
    await conversation(memory_container, agent, "Do you ship to Norway?", status=MessageStatus.UNANSWERED)
    await conversation(memory_container, quiet, "Opening hours?")  # answered with a source: nothing to group
    worker = build_worker(memory_container)
    groups = memory_container.list_question_groups()

    await worker.run_until_idle()
    [norway] = await groups(Principal.own(account_id=owner.id), agent.id)
    assert (norway.label, norway.count) == ("Do you ship to Norway?", 1)
    assert await groups(Principal.own(account_id=quiet_owner.id), quiet.id) == []
    queue = memory_container.queue_due_question_group_refreshes()
    assert await queue() == 0, "refreshed since its last question"

    clock.advance(timedelta(minutes=10))
    await conversation(
        memory_container, agent, "Norway delivery?", rating=Rating.DOWN, at=T0 + timedelta(hours=1, minutes=5)
    )
    await worker.run_until_idle()
    [norway] = await groups(Principal.own(account_id=owner.id), agent.id)
    assert norway.count == 2, "the new disliked question joined its group without the owner asking"


async def test_a_tick_queues_at_most_20_refreshes(memory_container) -> None:
    memory_container.clock.override(providers.Object(ManualClock(T0 + timedelta(hours=1))))
    for _ in range(23):
        owner = account()
        agent = agent_for(owner)
        await store(memory_container, owner, agent)
        await conversation(memory_container, agent, "Parking?", status=MessageStatus.UNANSWERED)
    queue = memory_container.queue_due_question_group_refreshes()

    def refreshes() -> int:
        return sum(j.kind == "question_groups.refresh" for j in memory_container.job_store().jobs)

    assert (await queue(), refreshes()) == (20, 20)
    assert (await queue(), refreshes()) == (20, 20), "the same agents in the same 10-minute slot: no new job"
