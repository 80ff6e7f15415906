"""GetAnalytics on the memory adapters: the date range rules, days without activity as zeros,
totals and rates, the agent filter and another account's agent. Numbers counted by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentNotFound
from aioomi.domain.model.analytics import DayCounts, check_range
from aioomi.domain.model.chat import MessageStatus, Role
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.feedback import Feedback, Rating
from aioomi.domain.usecases.analytics.get_analytics import GetAnalytics
from tests.contract.test_chat_store_contract import add, message, session
from tests.unit.chat_support import account, agent_for, store

NOW = datetime(2026, 5, 10, 15, 0, tzinfo=UTC)


def test_the_range_defaults_to_the_last_30_days_and_refuses_bad_or_reversed_or_long_ranges() -> None:
    today = date(2026, 5, 10)
    span = check_range(None, None, today)
    assert (span.first_day, span.last_day, len(span.days())) == (date(2026, 4, 11), today, 30)
    assert check_range("2026-01-01", "2026-12-31", today).days()[-1] == date(2026, 12, 31)  # 365 days
    assert len(check_range("2024-01-01", "2024-12-31", today).days()) == 366  # a leap year: the most
    for first, last in [
        ("2026-05-02", "2026-05-01"),
        ("2024-01-01", "2025-01-01"),
        ("yesterday", None),
        ("2026-13-01", None),
    ]:
        with pytest.raises(InvalidInput) as refused:
            check_range(first, last, today)
        assert refused.value.code == "invalid_date_range"


async def test_every_day_of_the_range_with_totals_rates_and_the_agent_filter(memory_container) -> None:
    owner, stranger = account(), account()
    agent, other = agent_for(owner), agent_for(owner)
    await store(memory_container, owner, agent)
    async with memory_container.uow()(account_id=owner.id) as uow:
        await uow.agents.add(other)
        await uow.commit()
    memory_container.clock.override(ManualClock(NOW))
    up = Feedback(rating=Rating.UP, given_at=NOW, updated_at=NOW)
    day1 = datetime(2026, 5, 8, 10, tzinfo=UTC)
    s = session(agent, at=day1)
    q1 = message(s, Role.USER, "Hours?", at=day1)
    a1 = message(s, Role.ASSISTANT, "9 to 5.", at=day1 + timedelta(seconds=1), reply_to=q1.id, feedback=up)
    q2 = message(s, Role.USER, "Parking?", at=day1 + timedelta(seconds=2))
    a2 = message(
        s, Role.ASSISTANT, "Sorry.", at=day1 + timedelta(seconds=3), reply_to=q2.id, status=MessageStatus.UNANSWERED
    )
    q3 = message(s, Role.USER, "Thanks", at=day1 + timedelta(seconds=4))
    a3 = message(s, Role.ASSISTANT, "Bye.", at=day1 + timedelta(seconds=5), reply_to=q3.id)
    await add(memory_container, s, q1, a1, q2, a2, q3, a3)
    t = session(other, at=day1)
    await add(memory_container, t, message(t, Role.USER, "Hi", at=day1))

    get = memory_container.get_analytics()
    found = await get(
        Principal.own(account_id=owner.id), agent_id=agent.id, first_day="2026-05-07", last_day="2026-05-09"
    )
    assert found.days == [
        DayCounts(day=date(2026, 5, 7)),
        DayCounts(day=date(2026, 5, 8), conversations=1, messages=6, answered=2, unanswered=1, thumbs_up=1),
        DayCounts(day=date(2026, 5, 9)),
    ]
    assert (found.totals.conversations, found.totals.messages) == (1, 6)
    assert found.answered_rate == pytest.approx(2 / 3, abs=1e-4)
    assert found.thumbs_up_ratio == 1.0

    everyone = await get(Principal.own(account_id=owner.id))
    assert (everyone.range.first_day, everyone.range.last_day) == (date(2026, 4, 11), date(2026, 5, 10))
    assert (everyone.totals.conversations, everyone.totals.messages) == (2, 7)
    empty = await get(Principal.own(account_id=owner.id), first_day="2026-05-09", last_day="2026-05-10")
    assert (empty.answered_rate, empty.thumbs_up_ratio) == (None, None), "nothing to divide"
    with pytest.raises(AgentNotFound):
        await get(Principal.own(account_id=stranger.id), agent_id=agent.id)
    assert isinstance(get, GetAnalytics)
