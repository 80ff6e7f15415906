"""Feedback on answers (issue 19, part 1): the domain rules and RateAnswer / ListAnswerFeedback
on the memory adapters, with a manual clock and small limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.adapters.memory.clock import ManualClock
from aioomi.adapters.memory.rate_limiter import InMemoryRateLimiter
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentNotFound
from aioomi.domain.model.chat import ChatLimits, ChatSessionNotFound, Passage
from aioomi.domain.model.errors import InvalidInput, RateLimited
from aioomi.domain.model.feedback import (
    Feedback,
    FeedbackNotAllowed,
    MessageNotFound,
    Rating,
    check_comment,
    vote,
)
from aioomi.domain.usecases.answer_chat import ChatCaller
from aioomi.domain.usecases.feedback.list_answer_feedback import ListAnswerFeedback
from aioomi.domain.usecases.feedback.rate_answer import RateAnswer
from tests.unit.chat_support import VISITOR, ListSearch, account, agent_for, answer_chat, store

T0 = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
CALLER = ChatCaller(visitor_id=VISITOR, ip="203.0.113.9")
OTHER = ChatCaller(visitor_id="visitor-fedcba9876543210", ip="203.0.113.10")
RETURNS = Passage(
    document_id="doc_returns",
    document_title="Returns policy",
    position=0,
    text="You can return any item within 30 days for a full refund.",
)


# --- domain rules ---------------------------------------------------------------------------


def test_a_comment_is_trimmed_bounded_and_clean() -> None:
    assert check_comment(None) is None
    assert check_comment("   \n ") is None, "an empty comment is no comment"
    assert check_comment("  Wrong price.\nIt is 12 €.  ") == "Wrong price.\nIt is 12 €."
    assert check_comment("x" * 1000) == "x" * 1000
    with pytest.raises(InvalidInput) as too_long:
        check_comment("x" * 1001)
    assert too_long.value.code == "comment_too_long"
    with pytest.raises(InvalidInput) as control:
        check_comment("bad\x00byte")
    assert control.value.code == "comment_invalid"


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Rating)), st.integers(min_value=0, max_value=10_000)), min_size=1, max_size=20
    )
)
def test_a_vote_keeps_its_first_time_and_its_last_rating(votes: list[tuple[Rating, int]]) -> None:
    current: Feedback | None = None
    elapsed = 0
    for rating, step in votes:
        elapsed += step
        current = vote(current, rating, None, T0 + timedelta(seconds=elapsed))
    assert current is not None
    assert current.given_at == T0 + timedelta(seconds=votes[0][1])
    assert current.updated_at == T0 + timedelta(seconds=elapsed)
    assert current.rating is votes[-1][0]


# --- use cases --------------------------------------------------------------------------------


class Setup:
    def __init__(self, container, clock: ManualClock, limits: ChatLimits) -> None:
        self.container = container
        self.clock = clock
        self.rate = RateAnswer(container.uow(), clock, InMemoryRateLimiter(clock=clock), limits)
        self.listing = ListAnswerFeedback(container.uow())


@pytest.fixture
async def world(memory_container):
    owner = account()
    agent = agent_for(owner)
    await store(memory_container, owner, agent)
    clock = ManualClock(T0)
    memory_container.clock.override(clock)
    chat = answer_chat(
        memory_container, ScriptedChatModel(reply=lambda r: "Within 30 days [1]."), ListSearch([RETURNS])
    )
    answer = await chat(agent, CALLER, "How many days to return an item?")
    [e async for e in answer.events()]
    setup = Setup(memory_container, clock, ChatLimits(per_visitor_minute=3, per_visitor_day=5))
    return setup, owner, agent, answer


async def stored(container, agent, message_id):
    async with container.uow()(account_id=agent.account_id) as uow:
        return await uow.chat_messages.get(agent.account_id, message_id)


async def test_a_visitor_rates_an_answer_and_changes_their_mind(world) -> None:
    s, owner, agent, answer = world
    first = await s.rate(
        agent,
        CALLER,
        session_id=answer.session_id,
        message_id=answer.message_id,
        rating="down",
        comment="  It is 14 days, not 30. ",
    )
    assert first == Feedback(rating=Rating.DOWN, comment="It is 14 days, not 30.", given_at=T0, updated_at=T0)
    assert (await stored(s.container, agent, answer.message_id)).feedback == first

    s.clock.advance(timedelta(minutes=2))
    changed = await s.rate(agent, CALLER, session_id=answer.session_id, message_id=answer.message_id, rating="up")
    assert changed == Feedback(rating=Rating.UP, comment=None, given_at=T0, updated_at=T0 + timedelta(minutes=2))
    assert (await stored(s.container, agent, answer.message_id)).feedback == changed, "one vote, replaced"

    [entry] = await s.listing(Principal.own(account_id=owner.id), agent.id)
    assert (entry.message_id, entry.question, entry.answer) == (
        answer.message_id,
        "How many days to return an item?",
        "Within 30 days [1].",
    )
    assert await s.listing(Principal.own(account_id=owner.id), agent.id, rating="down") == []
    with pytest.raises(AgentNotFound):
        await s.listing(Principal.own(account_id=account().id), agent.id)


async def test_only_a_finished_answer_in_the_visitors_own_session_can_be_rated(world) -> None:
    s, _, agent, answer = world
    question = (await stored(s.container, agent, answer.message_id)).reply_to
    with pytest.raises(FeedbackNotAllowed):
        await s.rate(agent, CALLER, session_id=answer.session_id, message_id=question, rating="up")
    with pytest.raises(ChatSessionNotFound):
        await s.rate(agent, OTHER, session_id=answer.session_id, message_id=answer.message_id, rating="down")
    with pytest.raises(MessageNotFound):
        await s.rate(agent, CALLER, session_id=answer.session_id, message_id="msg_nothing", rating="down")
    with pytest.raises(InvalidInput) as bad:
        await s.rate(agent, CALLER, session_id=answer.session_id, message_id=answer.message_id, rating="meh")
    assert bad.value.code == "invalid_rating"
    assert (await stored(s.container, agent, answer.message_id)).feedback is None, "nothing stored"


async def test_an_answer_of_another_session_of_the_same_visitor_is_not_found_there(world) -> None:
    s, _, agent, answer = world
    chat = answer_chat(s.container, ScriptedChatModel(reply=lambda r: "Yes."), ListSearch([RETURNS]))
    other = await chat(agent, CALLER, "Can I return an item?")
    [e async for e in other.events()]
    with pytest.raises(MessageNotFound):
        await s.rate(agent, CALLER, session_id=other.session_id, message_id=answer.message_id, rating="up")


async def test_votes_are_rate_limited_per_visitor_and_nothing_is_stored_when_refused(world) -> None:
    s, _, agent, answer = world
    for rating in ("up", "down", "up"):  # the limit written in the fixture: 3 a minute
        await s.rate(agent, CALLER, session_id=answer.session_id, message_id=answer.message_id, rating=rating)
    with pytest.raises(RateLimited) as refused:
        await s.rate(agent, CALLER, session_id=answer.session_id, message_id=answer.message_id, rating="down")
    assert refused.value.retry_after_s > 0
    assert (await stored(s.container, agent, answer.message_id)).feedback.rating is Rating.UP
    s.clock.advance(timedelta(minutes=1))
    await s.rate(agent, CALLER, session_id=answer.session_id, message_id=answer.message_id, rating="down")
    assert (await stored(s.container, agent, answer.message_id)).feedback.rating is Rating.DOWN
