"""Curated answers (issue 19, part 2): the matching rule (hypothesis), the turn that serves a
pair as it is or gives it to the model first, fixing an answer, and the per-agent settings, on
the memory adapters."""

from __future__ import annotations

import asyncio
import random
import tempfile
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.container import container_in_memory
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentNotFound
from aioomi.domain.model.chat import MessageStatus, Passage
from aioomi.domain.model.curated import CuratedCandidate, CuratedMode, CuratedSettings, best_match
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.feedback import FeedbackNotAllowed, MessageNotFound
from aioomi.domain.model.qa_pairs import QaPairInput, QaQuestionExists
from aioomi.domain.usecases.answer_chat import AnswerChat, ChatCaller
from aioomi.domain.usecases.curated.match_curated_answer import MatchCuratedAnswer
from aioomi.settings import Settings
from tests.unit.chat_support import VISITOR, SwitchAllowance, account, agent_for, store

CALLER = ChatCaller(visitor_id=VISITOR)
GENERATED = "A generated answer [1]."
relevances = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


# --- the rule ---------------------------------------------------------------------------------


@given(
    st.lists(st.tuples(st.sampled_from(["doc_a", "doc_b", "doc_c", "doc_d"]), relevances), max_size=8),
    relevances,
    st.randoms(use_true_random=False),
)
def test_the_best_match_is_the_most_relevant_pair_at_or_above_the_threshold_in_any_order(
    found: list[tuple[str, float]], threshold: float, shuffle: random.Random
) -> None:
    candidates = [CuratedCandidate(pair_id=p, relevance=r) for p, r in found]
    chosen = best_match(candidates, threshold)
    reaching = [(r, p) for p, r in found if r >= threshold]
    if not reaching:
        assert chosen is None
        return
    assert chosen is not None and chosen.relevance >= threshold
    assert chosen.relevance == max(r for r, _ in reaching)
    assert chosen.pair_id == min(p for r, p in reaching if r == chosen.relevance)
    shuffled = candidates[:]
    shuffle.shuffle(shuffled)
    assert best_match(shuffled, threshold) == chosen, "the order of retrieval does not matter"


# --- a chat turn ------------------------------------------------------------------------------


@dataclass
class FixedSearch:
    """Returns the passages given, as retrieval would, whatever the question."""

    passages: list[Passage] = field(default_factory=list)

    async def __call__(self, **_: object) -> list[Passage]:
        return list(self.passages)


async def world(mode: CuratedMode, threshold: float):
    container = container_in_memory(settings=Settings(data_dir=tempfile.mkdtemp(prefix="aioomi-curated-")))
    owner = account()
    agent = agent_for(owner)
    await store(container, owner, agent)
    principal = Principal.own(account_id=owner.id)
    pair = await container.add_qa_pair()(
        principal,
        agent.id,
        QaPairInput(question="Do you ship to Norway?", answer="Yes, in 3 to 5 days, with tracking."),
    )
    await container.set_curated_settings()(principal, agent.id, mode=str(mode), threshold=threshold)
    return container, agent, principal, pair


async def turn(container, agent, passages: list[Passage]):
    model = ScriptedChatModel(reply=lambda r: GENERATED)
    chat = AnswerChat(
        container.uow(),
        container.clock(),
        model,
        FixedSearch(passages),
        SwitchAllowance(),
        curated=MatchCuratedAnswer(container.uow()),
    )
    answer = await chat(agent, CALLER, "Shipping to Norway, is that possible?")
    text, final, citations = await answer.collect()
    async with container.uow()(account_id=agent.account_id) as uow:
        stored = await uow.chat_messages.get(agent.account_id, answer.message_id)
    return model, text, stored, citations


def passages_for(pair_id: str, pair_relevance: float, other_relevance: float) -> list[Passage]:
    # The other document comes first, as a fused ranking may put it: the rule reads relevance.
    return [
        Passage(
            document_id="doc_other",
            document_title="Shipping",
            position=0,
            text="We ship across Europe.",
            relevance=other_relevance,
        ),
        Passage(
            document_id=pair_id,
            document_title="Do you ship to Norway?",
            position=0,
            text="Yes, in 3 to 5 days, with tracking.",
            relevance=pair_relevance,
        ),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair_relevance=relevances, other_relevance=relevances, threshold=relevances)
def test_above_its_threshold_a_curated_answer_always_wins_over_generation(
    pair_relevance: float, other_relevance: float, threshold: float
) -> None:
    async def scenario() -> None:
        container, agent, _, pair = await world(CuratedMode.DIRECT, threshold)
        model, text, stored, citations = await turn(
            container, agent, passages_for(pair.id, pair_relevance, other_relevance)
        )
        if pair_relevance >= threshold:
            assert model.requests == [], "no model call"
            assert text == "Yes, in 3 to 5 days, with tracking."
            assert (stored.status, stored.curated_pair_id, stored.model) == (MessageStatus.COMPLETE, pair.id, None)
            assert [(c.document_id, c.document_title) for c in citations] == [(pair.id, "Do you ship to Norway?")]
        else:
            assert len(model.requests) == 1 and text == GENERATED
            assert stored.curated_pair_id is None

    asyncio.run(scenario())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair_relevance=relevances, threshold=relevances)
def test_in_passage_mode_a_matching_pair_is_the_models_first_source(pair_relevance: float, threshold: float) -> None:
    async def scenario() -> None:
        container, agent, _, pair = await world(CuratedMode.PASSAGE, threshold)
        model, text, stored, _ = await turn(container, agent, passages_for(pair.id, pair_relevance, 0.95))
        assert len(model.requests) == 1 and text == GENERATED and stored.curated_pair_id is None
        system = model.requests[0].messages[0].content
        first = system.index('<source id="1"')
        assert ('title="Do you ship to Norway?"' in system[first : first + 120]) == (pair_relevance >= threshold)

    asyncio.run(scenario())


async def test_a_pair_of_another_agent_of_the_same_owner_is_never_served() -> None:
    container, agent, principal, pair = await world(CuratedMode.DIRECT, 0.5)
    async with container.uow()(account_id=None) as uow:
        owner = await uow.accounts.get(agent.account_id)
    other = agent_for(owner)
    async with container.uow()(account_id=None) as uow:
        await uow.agents.add(other)
        await uow.commit()
    await container.set_curated_settings()(principal, other.id, mode="direct", threshold=0.5)
    model, text, stored, _ = await turn(container, other, passages_for(pair.id, 0.99, 0.1))
    assert len(model.requests) == 1 and stored.curated_pair_id is None


async def test_the_pairs_are_read_only_when_the_turns_read_leaves_a_match_possible() -> None:
    container, agent, _, pair = await world(CuratedMode.DIRECT, 0.8)
    reads: list[bool] = []
    factory = container.uow()

    def counted(**kwargs):
        reads.append(kwargs.get("read_only", False))
        return factory(**kwargs)

    match = MatchCuratedAnswer(counted)
    settings_ = CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.8)
    passages = passages_for(pair.id, 0.9, 0.1)
    # No pair at all, or no passage at the threshold (0.79 and 0.1 < 0.8): no read, no match.
    assert (await match(agent, passages, known=(settings_, False))).served is None
    assert (await match(agent, passages_for(pair.id, 0.79, 0.1), known=(settings_, True))).served is None
    assert reads == []
    # A pair and a passage at the threshold: the pairs are read, and this one is served.
    assert (await match(agent, passages, known=(settings_, True))).served == pair
    assert reads == [True]


# --- settings and fixing an answer -------------------------------------------------------------


async def test_settings_default_to_the_top_passage_and_are_checked() -> None:
    container, agent, principal, _ = await world(CuratedMode.PASSAGE, 0.8)
    assert await container.get_curated_settings()(principal, agent.id) == CuratedSettings()
    assert await container.set_curated_settings()(
        principal, agent.id, mode="direct", threshold=0.65
    ) == CuratedSettings(mode=CuratedMode.DIRECT, threshold=0.65)
    assert (await container.get_curated_settings()(principal, agent.id)).threshold == 0.65
    for mode, threshold, code in (
        ("always", 0.5, "invalid_curated_mode"),
        ("direct", 1.5, "invalid_curated_threshold"),
        ("direct", float("nan"), "invalid_curated_threshold"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await container.set_curated_settings()(principal, agent.id, mode=mode, threshold=threshold)
        assert refused.value.code == code
    with pytest.raises(AgentNotFound):
        await container.get_curated_settings()(Principal.own(account_id=account().id), agent.id)


async def test_the_owner_fixes_an_answer_into_a_pair_with_the_visitors_question() -> None:
    container, agent, principal, _ = await world(CuratedMode.DIRECT, 0.8)
    _, _, stored, _ = await turn(container, agent, [])
    pair = await container.fix_answer()(
        principal,
        agent.id,
        stored.id,
        "Yes: 3 to 5 days.",
        ["Norway shipping?", "Shipping to Norway, is that possible?"],
    )
    assert (pair.question, pair.answer, pair.alternatives) == (
        "Shipping to Norway, is that possible?",
        "Yes: 3 to 5 days.",
        ("Norway shipping?",),
    )
    with pytest.raises(QaQuestionExists):
        await container.fix_answer()(principal, agent.id, stored.id, "Again.")
    with pytest.raises(FeedbackNotAllowed):
        await container.fix_answer()(principal, agent.id, stored.reply_to, "Not an answer.")
    with pytest.raises(MessageNotFound):
        await container.fix_answer()(principal, agent.id, "msg_nothing", "Nothing.")
    with pytest.raises(AgentNotFound):
        await container.fix_answer()(Principal.own(account_id=account().id), agent.id, stored.id, "Not mine.")
