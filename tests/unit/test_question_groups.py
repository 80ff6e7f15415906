"""Unanswered and disliked questions grouped by meaning (issue 19, part 3): the clustering rule
(hypothesis: the same groups in any input order, leaders apart, members near their leader), and
the worker's refresh with dismiss and write-the-answer on the memory adapters."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.chat import ChatMessage, ChatSession, Citation, MessageStatus, Role
from aioomi.domain.model.feedback import Feedback, Rating
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.question_groups import (
    GroupStatus,
    QuestionGroupClosed,
    WantingQuestion,
    WantingReason,
    cluster_questions,
    question_key,
)
from aioomi.domain.usecases.question_groups.refresh_question_groups import RefreshQuestionGroups
from tests.unit.chat_support import VISITOR, account, agent_for, store

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


# --- the rule ---------------------------------------------------------------------------------

texts = st.sampled_from(
    [
        "How to ship?",
        "how to ship",
        "Refund time?",
        "Open on Sunday?",
        "Gift cards?",
        "Where is my parcel?",
        "Price of tea?",
    ]
)
vectors = st.lists(st.integers(min_value=-3, max_value=3), min_size=3, max_size=3).filter(any)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(texts, vectors), min_size=1, max_size=12),
    st.sampled_from([0.0, 0.5, 0.8, 0.95, 1.0]),
    st.randoms(use_true_random=False),
)
def test_groups_do_not_depend_on_input_order_and_follow_the_leader_rule(
    items: list[tuple[str, list[int]]], threshold: float, shuffle: random.Random
) -> None:
    # The same text always has the same vector, as an embedder gives.
    vector_of = {question_key(t): v for t, v in items}
    questions = [
        WantingQuestion(message_id=f"msg_{i:03d}", text=t, asked_at=T0, reason=WantingReason.UNANSWERED)
        for i, (t, _) in enumerate(items)
    ]
    vecs = [vector_of[question_key(q.text)] for q in questions]
    groups = cluster_questions(questions, vecs, threshold)
    as_ids = [[questions[i].message_id for i in g] for g in groups]

    order = list(range(len(questions)))
    shuffle.shuffle(order)
    again = cluster_questions([questions[i] for i in order], [vecs[i] for i in order], threshold)
    assert [[questions[order[i]].message_id for i in g] for g in again] == as_ids, "input order does not matter"

    assert sorted(i for g in groups for i in g) == list(range(len(questions))), "every question in one group"

    def cosine(a: Sequence[int], b: Sequence[int]) -> float:
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))

    leaders = [g[0] for g in groups]
    for g in groups:
        for member in g[1:]:
            same = question_key(questions[member].text) == question_key(questions[g[0]].text)
            assert same or cosine(vecs[member], vecs[g[0]]) >= threshold - 1e-6
    for a in leaders:
        for b in leaders:
            if a != b:
                assert question_key(questions[a].text) != question_key(questions[b].text)
                assert cosine(vecs[a], vecs[b]) < threshold + 1e-6 or threshold == 0.0 and len(leaders) == 1


def test_the_leader_rule_on_a_worked_example() -> None:
    # Sorted by text: "a" leads; "b" (cos 0.8 to "a") joins it at 0.75; "c" (cos 0 to "a") leads.
    q = [
        WantingQuestion(message_id=f"msg_{n}", text=n, asked_at=T0, reason=WantingReason.UNANSWERED)
        for n in ("c", "b", "a")
    ]
    assert cluster_questions(q, [[0, 1], [0.8, 0.6], [1, 0]], 0.75) == [[2, 1], [0]]
    assert cluster_questions(q, [[0, 1], [0.8, 0.6], [1, 0]], 0.85) == [[2], [1], [0]], "b leads its own at 0.85"


# --- the worker's refresh, and the owner's actions ---------------------------------------------


class TopicEmbedder:
    """Questions about the same topic word point the same way."""

    model = "fake"
    dimensions = 3

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        def one(text: str) -> list[float]:
            t = text.lower()
            return [1.0, 0.0, 0.0] if "norway" in t else [0.0, 1.0, 0.0] if "refund" in t else [0.0, 0.0, 1.0]

        return [one(t) for t in texts]


async def conversation(
    container,
    agent,
    question: str,
    *,
    status: MessageStatus = MessageStatus.COMPLETE,
    rating: Rating | None = None,
    cited: bool = True,
    at: datetime = T0,
) -> None:
    s = ChatSession(id=new_id("ses"), account_id=agent.account_id, agent_id=agent.id, visitor_id=VISITOR, created_at=at)
    q = ChatMessage(
        id=new_id("msg"),
        account_id=agent.account_id,
        agent_id=agent.id,
        session_id=s.id,
        role=Role.USER,
        content=question,
        created_at=at,
    )
    citations = (Citation(document_id="doc_x", document_title="X", position=0, excerpt="x"),) if cited else ()
    a = ChatMessage(
        id=new_id("msg"),
        account_id=agent.account_id,
        agent_id=agent.id,
        session_id=s.id,
        role=Role.ASSISTANT,
        content="…",
        status=status,
        reply_to=q.id,
        citations=citations,
        created_at=at,
        feedback=None if rating is None else Feedback(rating=rating, given_at=at, updated_at=at),
    )
    async with container.uow()(account_id=agent.account_id) as uow:
        await uow.chat_sessions.add(s)
        await uow.chat_messages.add(q)
        await uow.chat_messages.add(a)
        await uow.commit()


async def test_the_worker_groups_wanting_questions_and_the_owner_answers_or_dismisses(memory_container) -> None:
    owner = account()
    agent = agent_for(owner)
    await store(memory_container, owner, agent)
    async with memory_container.uow()(account_id=None) as uow:
        stored = await uow.agents.get(owner.id, agent.id)
    clock = ManualClock(T0 + timedelta(days=1))
    refresh = RefreshQuestionGroups(memory_container.uow(), StaticEmbedderCatalog([TopicEmbedder()]), clock)
    await conversation(memory_container, stored, "Do you ship to Norway?", status=MessageStatus.UNANSWERED)
    await conversation(
        memory_container, stored, "Norway delivery?", status=MessageStatus.UNANSWERED, at=T0 + timedelta(hours=2)
    )
    await conversation(
        memory_container, stored, "Shipping to Norway possible?", rating=Rating.DOWN, at=T0 + timedelta(hours=1)
    )
    await conversation(memory_container, stored, "When is my refund?", cited=False)
    await conversation(memory_container, stored, "Refund policy?", rating=Rating.UP)  # liked and cited: fine
    await conversation(memory_container, stored, "Opening hours?")  # answered with a source: fine

    assert await refresh(owner.id, agent.id) == {"questions": 4, "groups": 2}
    principal = Principal.own(account_id=owner.id)
    groups = await memory_container.list_question_groups()(principal, agent.id)
    assert [(g.label, g.count, g.reasons) for g in groups] == [
        ("Do you ship to Norway?", 3, (WantingReason.UNANSWERED, WantingReason.DISLIKED)),
        ("When is my refund?", 1, (WantingReason.NO_SOURCES,)),
    ]
    norway = groups[0]
    assert (norway.first_seen, norway.last_seen) == (T0, T0 + timedelta(hours=2))
    assert norway.examples == ("Do you ship to Norway?", "Norway delivery?", "Shipping to Norway possible?")

    pair = await memory_container.answer_question_group()(principal, norway.id, "Yes, in 3 to 5 days.")
    assert (pair.question, pair.alternatives) == (
        "Do you ship to Norway?",
        ("Norway delivery?", "Shipping to Norway possible?"),
    )
    dismissed = await memory_container.dismiss_question_group()(principal, groups[1].id)
    assert dismissed.status is GroupStatus.DISMISSED
    with pytest.raises(QuestionGroupClosed):
        await memory_container.dismiss_question_group()(principal, norway.id)

    assert await refresh(owner.id, agent.id) == {"questions": 4, "groups": 0}, "closed groups are not reopened"
    assert await memory_container.list_question_groups()(principal, agent.id) == []
    every = await memory_container.list_question_groups()(principal, agent.id, status="all")
    assert sorted((g.label, g.status, g.pair_id) for g in every) == [
        ("Do you ship to Norway?", GroupStatus.ANSWERED, pair.id),
        ("When is my refund?", GroupStatus.DISMISSED, None),
    ]
